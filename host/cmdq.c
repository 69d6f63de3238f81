/* cmdq.c — see cmdq.h. A mutex-protected FIFO; contention is negligible
 * because commands come from plugin control calls, not from data. */
#include "cmdq.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t cmdq_lock = PTHREAD_MUTEX_INITIALIZER;
static cmd *cmdq_head, *cmdq_tail;
static void (*cmdq_wake)(void *);
static void *cmdq_wake_arg;

void cmdq_set_waker(void (*wake)(void *), void *arg)
{
    pthread_mutex_lock(&cmdq_lock);
    cmdq_wake = wake;
    cmdq_wake_arg = arg;
    pthread_mutex_unlock(&cmdq_lock);
}

void cmdq_push(cmd *c)
{
    c->next = NULL;
    pthread_mutex_lock(&cmdq_lock);
    if (cmdq_tail)
        cmdq_tail->next = c;
    else
        cmdq_head = c;
    cmdq_tail = c;
    void (*wake)(void *) = cmdq_wake;
    void *arg = cmdq_wake_arg;
    pthread_mutex_unlock(&cmdq_lock);
    if (wake)
        wake(arg);
}

cmd *cmdq_drain(void)
{
    pthread_mutex_lock(&cmdq_lock);
    cmd *all = cmdq_head;
    cmdq_head = cmdq_tail = NULL;
    pthread_mutex_unlock(&cmdq_lock);
    return all;
}

void cmd_free(cmd *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_codes; i++)
        free(c->codes[i]);
    free(c->codes);
    free(c->path);
    free(c->query);
    free(c->blob);
    free(c);
}
