using ILGPU;

namespace ArpgIlgpu.Kernels;

/// <summary>
/// The tensor-core steps (<see cref="IMmaStep"/>) computed on ILGPU's CPU accelerator, for the
/// NVIDIA-like simulator (<c>cpu:nvidia</c>): each lane puts what it holds into shared memory where
/// the PTX ISA says that element belongs, and reads back what the instruction would give it:
/// lanes write their A and B elements into a 16 x 16 and a 16 x 8 matrix through
/// <see cref="MmaLayout"/>, and each computes its four C elements from those matrices, summing the
/// 16 products (exact in float32: two 11-bit mantissas) in k order in float32. So the
/// kernel's own index math (which lane loads which elements, which register goes to which output)
/// is what the simulator checks; the hardware's summation order within a step may differ in the
/// last bits. Every lane of the group calls each step at the same point, as the GEMM does, since
/// the exchange uses group barriers.
/// </summary>
internal struct EmulatedMma : IMmaStep
{
    private const int Lanes = 32;
    private ArrayView<float> a; // [warp][16 rows][16 k]
    private ArrayView<float> b; // [warp][16 k][8 n]

    public void Setup()
    {
        a = SharedMemory.Allocate<float>(TensorCoreGemmKernels.Warps * 16 * 16);
        b = SharedMemory.Allocate<float>(TensorCoreGemmKernels.Warps * 16 * 8);
    }

    public readonly Accumulator Mma(Registers4 fragment, uint b0, uint b1, Accumulator c)
    {
        int lane = Group.IdxX % Lanes, warp = Group.IdxX / Lanes;
        ArrayView<float> aw = a.SubView(warp * 256, 256), bw = b.SubView(warp * 128, 128);
        for (int i = 0; i < 8; i++)
            aw[MmaLayout.ARow(lane, i) * 16 + MmaLayout.ACol(lane, i)] = Half(Register(fragment, i >> 1), i);
        for (int i = 0; i < 4; i++)
            bw[MmaLayout.BRow(lane, i) * 8 + MmaLayout.BCol(lane)] = Half(i < 2 ? b0 : b1, i);
        Group.Barrier();
        var d = new Accumulator
        {
            C0 = Dot(aw, bw, MmaLayout.CRow(lane, 0), MmaLayout.CCol(lane, 0), c.C0),
            C1 = Dot(aw, bw, MmaLayout.CRow(lane, 1), MmaLayout.CCol(lane, 1), c.C1),
            C2 = Dot(aw, bw, MmaLayout.CRow(lane, 2), MmaLayout.CCol(lane, 2), c.C2),
            C3 = Dot(aw, bw, MmaLayout.CRow(lane, 3), MmaLayout.CCol(lane, 3), c.C3),
        };
        Group.Barrier();
        return d;
    }

    public readonly uint PackHalves(float lo, float hi) => Float16.FromFloat(lo) | (uint)Float16.FromFloat(hi) << 16;

    /// <summary>Register j (0..3) of a fragment.</summary>
    private static uint Register(Registers4 r, int j) => j == 0 ? r.R0 : j == 1 ? r.R1 : j == 2 ? r.R2 : r.R3;

    /// <summary>Element i's half of its register (even i: the low half) as a float.</summary>
    private static float Half(uint register, int i) => Float16.ToFloat((ushort)((i & 1) == 0 ? register & 0xFFFF : register >> 16));

    /// <summary>c + sum over k of a[row, k] b[k, col], in k order.</summary>
    private static float Dot(ArrayView<float> a, ArrayView<float> b, int row, int col, float c)
    {
        float sum = c;
        for (int k = 0; k < 16; k++)
            sum += a[row * 16 + k] * b[k * 8 + col];
        return sum;
    }
}
