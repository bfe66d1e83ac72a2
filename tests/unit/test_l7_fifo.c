/* The parsers' request FIFO: order through growth and wrap-around, the maximum, clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/proto/l7_fifo.h"

static void push(struct zt_fifo *f, int v)
{
	int *slot = zt_fifo_reserve(f);

	assert_non_null(slot);
	*slot = v;
	zt_fifo_commit(f);
}

static int head(const struct zt_fifo *f)
{
	return *(const int *)zt_fifo_at(f, 0);
}

/* Grow while the ring has wrapped: the elements keep their order. */
static void test_order_through_growth_and_wrap(void **state)
{
	struct zt_fifo f;
	int next = 0, want = 0;

	(void)state;
	zt_fifo_init(&f, sizeof(int), 1, 64);
	for (int round = 0; round < 40; round++) {
		push(&f, next++);
		push(&f, next++);
		assert_int_equal(head(&f), want);
		zt_fifo_pop(&f);
		want++;
	}
	assert_int_equal(zt_fifo_count(&f), next - want);
	for (uint32_t i = 0; i < zt_fifo_count(&f); i++)
		assert_int_equal(*(int *)zt_fifo_at(&f, i), want + (int)i);
	zt_fifo_free(&f);
}

/* At the maximum there is no slot: the caller evicts. */
static void test_full_at_max(void **state)
{
	struct zt_fifo f;

	(void)state;
	zt_fifo_init(&f, sizeof(int), 4, 8);
	for (int i = 0; i < 8; i++)
		push(&f, i);
	assert_null(zt_fifo_reserve(&f));
	zt_fifo_pop(&f);
	push(&f, 8);
	assert_int_equal(head(&f), 1);
	assert_int_equal(*(int *)zt_fifo_at(&f, 7), 8);
	zt_fifo_free(&f);
}

/* A reserved slot is not counted until committed; clear keeps it as the new head. */
static void test_reserve_commit_clear(void **state)
{
	struct zt_fifo f;
	int *slot;

	(void)state;
	zt_fifo_init(&f, sizeof(int), 2, 16);
	push(&f, 1);
	push(&f, 2);
	slot = zt_fifo_reserve(&f);
	assert_non_null(slot);
	*slot = 3;
	assert_int_equal(zt_fifo_count(&f), 2);
	zt_fifo_clear(&f);
	assert_int_equal(zt_fifo_count(&f), 0);
	assert_ptr_equal(zt_fifo_reserve(&f), slot);
	zt_fifo_commit(&f);
	assert_int_equal(head(&f), 3);
	zt_fifo_free(&f);
	zt_fifo_free(&f);	/* twice: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_through_growth_and_wrap),
		cmocka_unit_test(test_full_at_max),
		cmocka_unit_test(test_reserve_commit_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
