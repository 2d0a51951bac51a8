// Persistent worker threads for the training kernels' parallel regions (Train's Parallel.run).
//
// A step of ResNet-18 at 64 px opens several hundred regions of 10 µs to a few ms each. Handing one to
// Dispatch's concurrentPerform cost 30-45 µs more than its work on the 2-vCPU VMs measured here (AMD EPYC:
// two 13 µs parts took 43 µs, two 66 µs parts 110 µs): waking a sleeping thread on the other vCPU. These
// workers spin for a while after each region, as OpenMP runtimes do (GOMP_SPINCOUNT), and sleep on a
// condition variable only when no region has come for a while; the same two 66 µs parts then take 68 µs.
//
// Parts are claimed, not assigned: the caller and the workers take the next unclaimed part until none is
// left, so a worker the scheduler has parked (another thread of the process, the dump's writer, holding
// its CPU) delays nobody: its part goes to whoever is free. Each part still computes what its index says,
// so the result never depends on which thread ran it.
//
// One region at a time: a second thread that submits while one runs, or a part that submits a nested
// region, gets -1 back and runs its region some other way.
#include "CKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_WORKERS 255
#define MAX_PARTS 0xffff

/// How long an idle worker spins before it sleeps (LOUPE_WORKER_SPIN_US, for benchmarking).
static long worker_spin_ns(void) {
    static long cached = -1;
    long value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        const char *text = getenv("LOUPE_WORKER_SPIN_US");
        value = text ? atol(text) * 1000L : 200000L;
        if (value < 0) value = 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;
/// The current region in one word, so a claim can never mix two regions: generation (high 32 bits), part
/// count (16 bits) and the next unclaimed part (low 16 bits).
static _Atomic uint64_t ticket;
/// Parts of the current region finished so far.
static _Atomic long finished;
static _Atomic int sleepers;
static loupe_part_fn job_fn;
static void *job_context;
/// Workers started so far (under submit_lock), and the generation each was started at.
static ptrdiff_t worker_count;
static uint32_t start_generation[MAX_WORKERS];
static _Thread_local int in_region;

#define TICKET_GENERATION(t) ((uint32_t)((t) >> 32))
#define TICKET_PARTS(t) ((uint32_t)(((t) >> 16) & 0xffff))
#define TICKET_NEXT(t) ((uint32_t)((t) & 0xffff))

static long elapsed_ns(const struct timespec *since) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - since->tv_sec) * 1000000000L + (t.tv_nsec - since->tv_nsec);
}

/// Claims and runs parts of generation `generation` until none is left; returns how many it ran.
static long run_parts(uint32_t generation) {
    long ran = 0;
    for (;;) {
        uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
        if (TICKET_GENERATION(t) != generation || TICKET_NEXT(t) >= TICKET_PARTS(t)) return ran;
        if (!atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        // A claimed part keeps its region from finishing, so job_fn and job_context are still this region's.
        job_fn(job_context, (ptrdiff_t)TICKET_NEXT(t));
        atomic_fetch_add_explicit(&finished, 1, memory_order_release);
        ran++;
    }
}

/// Waits for a generation other than `seen`: spins, then sleeps.
static uint32_t await_generation(uint32_t seen) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const long spin = worker_spin_ns();
    for (unsigned spins = 1;; spins++) {
        const uint32_t g = TICKET_GENERATION(atomic_load_explicit(&ticket, memory_order_acquire));
        if (g != seen) return g;
        // After the first few microseconds, offer the CPU at each turn: another thread of the process (a
        // dump's writer) then runs in the gaps between regions, as it did when idle workers slept.
        if (spins < 1024) CPU_RELAX(); else sched_yield();
        if (spins % 64 == 0 && elapsed_ns(&start) > spin) break;
    }
    pthread_mutex_lock(&sleep_lock);
    atomic_fetch_add(&sleepers, 1);
    uint32_t g;
    while ((g = TICKET_GENERATION(atomic_load(&ticket))) == seen) pthread_cond_wait(&sleep_cond, &sleep_lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&sleep_lock);
    return g;
}

static void *worker_main(void *argument) {
    uint32_t seen = start_generation[(ptrdiff_t)(uintptr_t)argument];
    in_region = 1;
    for (;;) {
        seen = await_generation(seen);
        run_parts(seen);
    }
    return 0;
}

int loupe_parallel_run(ptrdiff_t parts, void *context, loupe_part_fn fn) {
    if (parts < 2 || parts > MAX_PARTS || in_region) return -1;
    if (pthread_mutex_trylock(&submit_lock) != 0) return -1;
    const ptrdiff_t wanted = parts - 1 < MAX_WORKERS ? parts - 1 : MAX_WORKERS;
    const uint32_t current = TICKET_GENERATION(atomic_load(&ticket));
    while (worker_count < wanted) {
        // A new worker waits for the generation after the current one: this region's.
        start_generation[worker_count] = current;
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)worker_count);
        pthread_attr_destroy(&attributes);
        if (failed) {
            if (worker_count == 0) {
                pthread_mutex_unlock(&submit_lock);
                return -1;
            }
            break;  // fewer workers: the caller claims what they do not
        }
        worker_count++;
    }
    job_fn = fn;
    job_context = context;
    atomic_store(&finished, 0);
    const uint32_t generation = current + 1;
    atomic_store(&ticket, ((uint64_t)generation << 32) | ((uint64_t)parts << 16));
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&sleep_cond);
        pthread_mutex_unlock(&sleep_lock);
    }
    in_region = 1;
    run_parts(generation);
    in_region = 0;
    // Every part is claimed; wait for the ones other threads are still running.
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned spins = 1; atomic_load_explicit(&finished, memory_order_acquire) < parts; spins++) {
        CPU_RELAX();
        // A worker that holds a part but lost its CPU gets it back sooner if this one offers it.
        if (spins % 256 == 0 && elapsed_ns(&start) > 50000L) sched_yield();
    }
    pthread_mutex_unlock(&submit_lock);
    return 0;
}
