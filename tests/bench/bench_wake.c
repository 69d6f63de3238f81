/*
 * bench_wake — what one wake-up costs on this machine, the unit price of
 * every fixed-rate figure of the benchmark. Prints the CPU time (not wall
 * time) per event of:
 *   timer   a thread sleeping 1 ms (clock_nanosleep) and waking again;
 *   waker   signalling a condition variable another thread sleeps on;
 *   woken   the sleeping thread being woken and going back to sleep.
 * On bare metal these are a few µs; in a VM whose idle vCPUs halt they can
 * be ten times that.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define N 2000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending, waiting, stop;
static double woken_cpu;

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *sleeper(void *arg)
{
    (void)arg;
    double c0 = thread_cpu();
    pthread_mutex_lock(&m);
    while (!stop) {
        while (!pending && !stop) {
            waiting = 1;
            pthread_cond_wait(&cv, &m);
            waiting = 0;
        }
        pending = 0;
    }
    pthread_mutex_unlock(&m);
    woken_cpu = thread_cpu() - c0;
    return NULL;
}

static void nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

int main(void)
{
    double c0 = thread_cpu();
    for (int i = 0; i < N; i++)
        nap();
    double timer = (thread_cpu() - c0) / N;
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    nap();
    /* The waker's side is timed around the signal alone, less the cost of
     * reading the thread clock itself. */
    double waker = 0, probe = 0;
    for (int i = 0; i < N; i++) {
        nap();
        double a = thread_cpu(), b = thread_cpu();
        probe += b - a;
        pthread_mutex_lock(&m);
        pending = 1;
        int w = waiting;
        pthread_mutex_unlock(&m);
        if (w)
            pthread_cond_signal(&cv);
        waker += thread_cpu() - b;
    }
    waker = (waker - probe) / N;
    pthread_mutex_lock(&m);
    stop = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
    printf("timer=%.1f waker=%.1f woken=%.1f\n", timer * 1e6, waker * 1e6, woken_cpu / N * 1e6);
    return 0;
}
