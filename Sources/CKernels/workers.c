// Persistent worker threads for the training kernels' parallel regions (Train's Parallel.run).
//
// A step of ResNet-18 at 64 px opens several hundred regions of 10 µs to a few ms each. Handing one to
// Dispatch's concurrentPerform cost 30-45 µs more than its work on the 2-vCPU VMs measured here (AMD EPYC:
// two 13 µs parts took 43 µs, two 66 µs parts 110 µs): waking a sleeping thread on the other vCPU. These
// workers spin for a while after each region, as OpenMP runtimes do (GOMP_SPINCOUNT), and sleep on a
// condition variable only when no region has come for WORKER_SPIN_NS; the same two 66 µs parts then take
// 68 µs.
//
// One region at a time: a second thread that submits while one runs, or a part that submits a nested
// region, gets -1 back and runs its region some other way. Parts are numbered as the caller's, so which
// part computes what never depends on timing.
#include "CKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long an idle worker spins before it sleeps.
#define WORKER_SPIN_NS 200000L
#define MAX_WORKERS 255

static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond = PTHREAD_COND_INITIALIZER;
/// Bumped once per region; a worker runs a region when it sees a new value.
static _Atomic unsigned long generation;
/// Workers that have not yet finished with the current region (every worker acknowledges every region,
/// so none can still be reading the job when the next one is written).
static _Atomic long pending;
static _Atomic int sleepers;
static loupe_part_fn job_fn;
static void *job_context;
static ptrdiff_t job_parts;
/// Workers started so far (under submit_lock).
static ptrdiff_t worker_count;
static _Thread_local int in_region;

static long elapsed_ns(const struct timespec *since) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - since->tv_sec) * 1000000000L + (t.tv_nsec - since->tv_nsec);
}

/// Waits for a generation other than `seen`: spins, then sleeps.
static unsigned long await_generation(unsigned long seen) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned spins = 1;; spins++) {
        const unsigned long g = atomic_load_explicit(&generation, memory_order_acquire);
        if (g != seen) return g;
        CPU_RELAX();
        if (spins % 256 == 0 && elapsed_ns(&start) > WORKER_SPIN_NS) break;
    }
    pthread_mutex_lock(&sleep_lock);
    atomic_fetch_add(&sleepers, 1);
    unsigned long g;
    while ((g = atomic_load(&generation)) == seen) pthread_cond_wait(&sleep_cond, &sleep_lock);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&sleep_lock);
    return g;
}

/// The generation each worker was started at (it waits for the next one).
static unsigned long start_generation[MAX_WORKERS];

static void *worker_main(void *argument) {
    // Worker w runs part w + 1; the caller runs part 0.
    const ptrdiff_t w = (ptrdiff_t)(uintptr_t)argument, part = w + 1;
    unsigned long seen = start_generation[w];
    in_region = 1;
    for (;;) {
        seen = await_generation(seen);
        if (part < job_parts) job_fn(job_context, part);
        atomic_fetch_sub_explicit(&pending, 1, memory_order_acq_rel);
    }
    return 0;
}

int loupe_parallel_run(ptrdiff_t parts, void *context, loupe_part_fn fn) {
    if (parts < 2 || parts - 1 > MAX_WORKERS || in_region) return -1;
    if (pthread_mutex_trylock(&submit_lock) != 0) return -1;
    while (worker_count < parts - 1) {
        // A new worker waits for the generation after the current one: this region's.
        start_generation[worker_count] = atomic_load(&generation);
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)worker_count);
        pthread_attr_destroy(&attributes);
        if (failed) {
            pthread_mutex_unlock(&submit_lock);
            return -1;
        }
        worker_count++;
    }
    job_fn = fn;
    job_context = context;
    job_parts = parts;
    atomic_store(&pending, (long)worker_count);
    atomic_fetch_add(&generation, 1);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&sleep_cond);
        pthread_mutex_unlock(&sleep_lock);
    }
    in_region = 1;
    fn(context, 0);
    in_region = 0;
    while (atomic_load_explicit(&pending, memory_order_acquire) > 0) CPU_RELAX();
    pthread_mutex_unlock(&submit_lock);
    return 0;
}
