/* /ctl actions that drive the simulated account and the private socket. */
#ifndef UPWS_MOCK_CTL_PRIVATE_H
#define UPWS_MOCK_CTL_PRIVATE_H

struct lws;

/* Handles action if it is one of order, cancel, deposit, private-refuse:
 * returns the reply result (0 written, -1 hang up), or 1 if not ours. */
int ctl_private(struct lws *wsi, const char *action);

#endif
