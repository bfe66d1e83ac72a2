/*
 * Every exported batch allocates and then frees about a MiB: 512 spans, their encoded form
 * and the request put together from it. With glibc's defaults the freed top of the
 * heap goes back to the kernel once it passes 128 KiB, and the next batch page-faults it all
 * in again: nearly one page fault every two spans, a third of the span pipeline's time.
 * Keeping a bounded amount of free heap adds no peak RSS, since each batch faults it in anyway.
 */
#include <malloc.h>

#include "zt_alloc_tuning.h"

/* Free heap kept at the top instead of trimmed: several batches' worth. */
#define ZT_TRIM_THRESHOLD (16 << 20)
/*
 * Setting the trim threshold also freezes glibc's dynamic mmap threshold at 128 KiB, which
 * would mmap and unmap every encoded request: batch-sized buffers stay on the heap.
 */
#define ZT_MMAP_THRESHOLD (8 << 20)

void zt_alloc_tuning(void)
{
#ifdef __GLIBC__
	/* Start-up (libbpf parsing kernel BTF) freed several MiB that steady state never needs. */
	malloc_trim(0);
	mallopt(M_TRIM_THRESHOLD, ZT_TRIM_THRESHOLD);
	mallopt(M_MMAP_THRESHOLD, ZT_MMAP_THRESHOLD);
#endif
}
