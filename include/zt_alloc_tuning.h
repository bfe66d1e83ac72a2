/* glibc malloc settings for the agent's allocation pattern; main calls this once at startup. */
#ifndef ZT_ALLOC_TUNING_H
#define ZT_ALLOC_TUNING_H

/* Call once at startup, before the first span. Tunes glibc only; a no-op with other libcs. */
/* Call once start-up is done (BPF loaded): trims what it freed, then keeps the heap warm. */
void zt_alloc_tuning(void);

#endif
