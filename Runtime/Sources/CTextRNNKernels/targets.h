// The instruction-set attributes the kernel files compile their per-level functions with.
#ifndef TEXTRNN_TARGETS_H
#define TEXTRNN_TARGETS_H

#if defined(__x86_64__) || defined(__i386__)
#define TRK_X86 1
#include <immintrin.h>
#else
#define TRK_X86 0
#endif

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma")))

#endif
