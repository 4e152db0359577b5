using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;
using ILGPU.IR.Values;

namespace ArpgIlgpu.Runtime;

/// <summary>
/// <c>a * b + c</c> written so that every backend may compute it as one fused multiply-add (FMA):
/// the inner step of every dot product, GEMM and convolution here.
/// </summary>
/// <remarks>
/// ILGPU 1.5.3 writes each operation of a kernel as its own OpenCL C statement
/// (<c>t = a * b; s = t + c;</c>), and OpenCL compilers may fuse a multiply and an add only within
/// one expression (FP_CONTRACT, on by default in OpenCL C). So on OpenCL nothing was ever fused:
/// PoCL's objdump showed vmulps and vaddps and no vfmadd. This intrinsic makes the OpenCL backend
/// write <c>s = a * b + c;</c> as one expression, which Clang turns into llvm.fmuladd: PoCL emits
/// vfmadd...ps on CPUs with FMA, and still vectorises running sums of it (an explicit
/// <c>fma()</c> call, llvm.fma, stopped the vectoriser: 4x slower). Measured with
/// `arpg bench kernels` on OpenCL on the 2-core CI machine: GEMM 128 x 1024 x 1024 from 61-82
/// to 112 GFLOP/s, 16 x 2816 x 1024 from 41-44 to 52.
/// On CUDA the call becomes PTX mul.f32 and add.f32, which ptxas fuses by default; on the CPU
/// accelerator it is the C# body below (.NET does not fuse it). A fused result may differ from
/// the unfused one in the last bit, as any change of summation order does.
/// </remarks>
public static class MultiplyAdd
{
    /// <summary>a * b + c, fused where the backend can.</summary>
    [IntrinsicImplementation]
    public static float Mad(float a, float b, float c) => a * b + c;

    /// <summary>The same, as ordinary code: what PTX compiles <see cref="Mad"/> to.</summary>
    public static float Unfused(float a, float b, float c) => a * b + c;

    /// <summary>Makes <see cref="Mad"/> known to the OpenCL and PTX backends of contexts built with this builder.</summary>
    public static Context.Builder EnableMultiplyAdd(this Context.Builder builder)
    {
        var mad = typeof(MultiplyAdd).GetMethod(nameof(Mad))!;
        var manager = builder.GetIntrinsicManager();
        manager.RegisterMethod(mad, new CLIntrinsic(typeof(MultiplyAdd), nameof(WriteOpenCl), IntrinsicImplementationMode.GenerateCode));
        manager.RegisterMethod(mad, new PTXIntrinsic(typeof(MultiplyAdd), nameof(Unfused), IntrinsicImplementationMode.Redirect));
        return builder;
    }

    /// <summary>Writes <c>target = a * b + c;</c> as one OpenCL C expression.</summary>
    private static void WriteOpenCl(CLBackend backend, CLCodeGenerator codeGenerator, Value value)
    {
        var call = (MethodCall)value;
        var a = codeGenerator.Load(call[0]);
        var b = codeGenerator.Load(call[1]);
        var c = codeGenerator.Load(call[2]);
        using var statement = codeGenerator.BeginStatement(codeGenerator.Allocate(value));
        statement.Append(a);
        statement.AppendCommand(" * ");
        statement.Append(b);
        statement.AppendCommand(" + ");
        statement.Append(c);
    }
}
