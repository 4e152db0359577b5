using ILGPU.Runtime.Cuda;

namespace ArpgIlgpu.Kernels;

/// <summary>Four 32-bit registers of one lane: an mma A fragment (4 x f16x2), or the B fragments of two tiles.</summary>
internal struct Registers4(uint r0, uint r1, uint r2, uint r3)
{
    public uint R0 = r0, R1 = r1, R2 = r2, R3 = r3;
}

/// <summary>One lane's share of a 16 x 8 float32 accumulator tile of mma.m16n8k16 (C and D).</summary>
internal struct Accumulator
{
    public float C0, C1, C2, C3;
}

/// <summary>
/// Which element of the 16 x 16 A, 16 x 8 B and 16 x 8 C/D tiles of
/// <c>mma.m16n8k16.row.col.f32.f16.f16.f32</c> each lane holds, from the PTX ISA's "Matrix Fragments
/// for mma.m16n8k16 with floating point type" (groupID g = lane &gt;&gt; 2, threadID_in_group
/// t = lane % 4; element i of a fragment is the low (even i) or high (odd i) half of register i / 2):
///   A: a_i at row g + 8 ((i / 2) % 2), column 2t + (i % 2) + 8 (i / 4)   (registers: (g, 2t), (g+8, 2t), (g, 2t+8), (g+8, 2t+8))
///   B: b_i at row (k) 2t + (i % 2) + 8 (i / 2), column (n) g          (registers: k 2t.., k 2t+8..)
///   C: c_i at row g + 8 (i / 2), column 2t + (i % 2).
/// The emulated step (<see cref="EmulatedMma"/>) computes with these maps, so a kernel whose
/// index math disagrees with them fails its test on the NVIDIA-like simulator.
/// </summary>
internal static class MmaLayout
{
    /// <summary>Row of A element i (0..7) held by a lane.</summary>
    public static int ARow(int lane, int i) => (lane >> 2) + 8 * ((i >> 1) & 1);

    /// <summary>Column (k) of A element i held by a lane.</summary>
    public static int ACol(int lane, int i) => 2 * (lane & 3) + (i & 1) + 8 * (i >> 2);

    /// <summary>Row (k) of B element i (0..3) held by a lane.</summary>
    public static int BRow(int lane, int i) => 2 * (lane & 3) + (i & 1) + 8 * (i >> 1);

    /// <summary>Column (n) of every B element a lane holds.</summary>
    public static int BCol(int lane) => lane >> 2;

    /// <summary>Row of C element i (0..3) held by a lane.</summary>
    public static int CRow(int lane, int i) => (lane >> 2) + 8 * (i >> 1);

    /// <summary>Column of C element i held by a lane.</summary>
    public static int CCol(int lane, int i) => 2 * (lane & 3) + (i & 1);
}

/// <summary>
/// The warp-level steps of the tensor-core GEMM (<see cref="TensorCoreGemmKernels"/>): every lane of
/// a warp calls each one together (they are warp instructions), every warp of the group at the same
/// points. <see cref="PtxMma"/> is the hardware, <see cref="EmulatedMma"/> its arithmetic on ILGPU's
/// CPU accelerator.
/// </summary>
internal interface IMmaStep
{
    /// <summary>Allocates what the step needs in shared memory (once, at the kernel's start).</summary>
    void Setup();

    /// <summary>d = a b + c for one 16 x 8 x 16 tile: a the A fragment, b0 and b1 the B fragment.</summary>
    Accumulator Mma(Registers4 a, uint b0, uint b1, Accumulator c);

    /// <summary>lo and hi rounded to fp16 (nearest, ties to even) and packed as f16x2: lo in the low half.</summary>
    uint PackHalves(float lo, float hi);
}

/// <summary>The steps as inline PTX for NVIDIA GPUs of compute capability 8.0 or newer (tensor cores).</summary>
internal struct PtxMma : IMmaStep
{
    /// <summary>Nothing: the hardware exchanges fragments itself.</summary>
    public readonly void Setup()
    {
    }

    public readonly Accumulator Mma(Registers4 a, uint b0, uint b1, Accumulator c)
    {
        Ref<float> d0 = c.C0, d1 = c.C1, d2 = c.C2, d3 = c.C3;
        Input<uint> a0 = a.R0, a1 = a.R1, a2 = a.R2, a3 = a.R3, x0 = b0, x1 = b1;
        if (CudaAsm.IsSupported)
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};",
                ref d0, ref d1, ref d2, ref d3, ref a0, ref a1, ref a2, ref a3, ref x0, ref x1);
        return new Accumulator { C0 = d0.Value, C1 = d1.Value, C2 = d2.Value, C3 = d3.Value };
    }

    public readonly uint PackHalves(float lo, float hi)
    {
        uint packed = 0;
        if (CudaAsm.IsSupported)
            CudaAsm.Emit(
                "{\n\t.reg .b16 l, h;\n\tcvt.rn.f16.f32 l, %1;\n\tcvt.rn.f16.f32 h, %2;\n\tmov.b32 %0, {l, h};\n\t}",
                out packed, lo, hi);
        return packed;
    }
}
