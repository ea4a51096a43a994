/* The machine's measured fp32 peak: independent FMA chains on every requested thread, with
 * AVX-512 where the CPU has it, else AVX2.
 * Build: cc -O2 -fopenmp fma_peak.c -o fma_peak. Usage: fma_peak THREADS
 * Prints {"threads":T,"isa":...,"gflops":G}: 2 FLOPs per lane per FMA, 12 chains to cover latency. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define CHAINS 12

#define KERNEL(NAME, TARGET, VEC, SET1, FMA, LANES)                                              \
    __attribute__((target(TARGET))) static double NAME(long iters) {                             \
        double start = omp_get_wtime();                                                          \
        _Pragma("omp parallel") {                                                                \
            VEC a[CHAINS], b = SET1(0.999999f), c = SET1(1e-7f);                                 \
            for (int k = 0; k < CHAINS; ++k) a[k] = SET1((float)k);                              \
            for (long i = 0; i < iters; ++i)                                                     \
                for (int k = 0; k < CHAINS; ++k) a[k] = FMA(a[k], b, c);                         \
            float out[LANES];                                                                    \
            for (int k = 1; k < CHAINS; ++k) a[0] = FMA(a[0], b, a[k]);                          \
            __builtin_memcpy(out, &a[0], sizeof out);                                            \
            if (out[0] == 12345.f) printf("%f\n", out[0]); /* keeps the chains alive */          \
        }                                                                                        \
        return omp_get_wtime() - start;                                                          \
    }

KERNEL(run_avx2, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
KERNEL(run_avx512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    omp_set_num_threads(threads);
    int wide = __builtin_cpu_supports("avx512f");
    double (*run)(long) = wide ? run_avx512 : run_avx2;
    long iters = 20000000;
    run(iters / 10); /* warm-up: clocks up */
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        double t = run(iters);
        if (t < best) best = t;
    }
    double flops = 2.0 * (wide ? 16 : 8) * CHAINS * (double)iters * threads;
    printf("{\"threads\":%d,\"isa\":\"%s\",\"gflops\":%.1f}\n", threads, wide ? "avx512" : "avx2", flops / best / 1e9);
    return 0;
}
