namespace ArpgIlgpu.Runtime;

/// <summary>
/// Sizes a whole phase before its first allocation: a model of a user's config whose weights
/// would not fit is refused in one line up front, instead of after minutes of filling tensors
/// (or, on a host-memory device, when the pages are finally touched).
/// </summary>
public static class MemoryCheck
{
    /// <summary>
    /// Throws an <see cref="InvalidInputException"/> when <paramref name="bytes"/> more would not
    /// fit on <paramref name="device"/> now; <paramref name="what"/> names what needs them.
    /// </summary>
    public static void RequireRoom(ComputeDevice device, long bytes, string what)
    {
        long available = device.Memory.Available;
        if (bytes > available)
            throw new InvalidInputException(
                $"{what} need {ComputeDevice.FormatBytes(bytes)}, more than the {ComputeDevice.FormatBytes(available)} free on {device.Memory.Name}");
    }
}
