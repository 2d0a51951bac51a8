// Which kernel variant runs: detected once from cpuid (and the operating system's saved register
// state), lowered only by the environment (LOUPE_ISA).
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static loupe_isa detect(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return LOUPE_ISA_SSE2;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return LOUPE_ISA_SSE2;
    const unsigned long long xcr0 = xgetbv0();
    // The OS must save the YMM state (bits 1–2) for AVX, and the opmask and ZMM state (5–7) for AVX-512.
    if ((xcr0 & 0x6) != 0x6) return LOUPE_ISA_SSE2;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return LOUPE_ISA_SSE2;
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx512f && (xcr0 & 0xe6) == 0xe6) return LOUPE_ISA_AVX512;
    if (avx2 && fma) return LOUPE_ISA_AVX2;
    return LOUPE_ISA_SSE2;
}
#else
static loupe_isa detect(void) { return LOUPE_ISA_SSE2; }
#endif

// −1: not yet detected. Racing first calls all store the same value.
static int supported = -1, active = -1;

loupe_isa loupe_isa_supported(void) {
    int level = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (level < 0) {
        level = (int)detect();
        __atomic_store_n(&supported, level, __ATOMIC_RELAXED);
    }
    return (loupe_isa)level;
}

loupe_isa loupe_isa_active(void) {
    int level = __atomic_load_n(&active, __ATOMIC_RELAXED);
    if (level < 0) {
        // LOUPE_ISA=sse2|avx2|avx512f lowers the level for a benchmark; a level this CPU lacks is ignored.
        level = (int)loupe_isa_supported();
        const char *wanted = getenv("LOUPE_ISA");
        for (int l = 0; wanted && l < level; l++) {
            if (strcmp(wanted, loupe_isa_name((loupe_isa)l)) == 0 || (l == 1 && strcmp(wanted, "avx2") == 0)) level = l;
        }
        __atomic_store_n(&active, level, __ATOMIC_RELAXED);
    }
    return (loupe_isa)level;
}

const char *loupe_isa_name(loupe_isa level) {
    switch (level) {
    case LOUPE_ISA_AVX512: return "avx512f";
    case LOUPE_ISA_AVX2: return "avx2+fma";
    default: return "sse2";
    }
}
