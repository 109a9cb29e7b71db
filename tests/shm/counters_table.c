/* counters_table: every counter of shm/counters.h has a unique name and a help text, the reject block is named by its reasons, and out-of-range indexes give NULL. */
#include <string.h>

#include "check.h"
#include "shm/counters.h"

int main(void)
{
	for (unsigned k = 0; k < REG_C_COUNT; k++) {
		const char *n = reg_counter_name(k), *h = reg_counter_help(k);
		REQUIRE(n != NULL && h != NULL);
		CHECK(n[0] != '\0' && h[0] != '\0');
		if (reg_counter_is_reject(k)) {
			CHECK(strcmp(n,
				  evt_reason_name((enum evt_reason)(
				      k - REG_C_REJECT0))) == 0);
			continue;
		}
		for (unsigned j = 0; j < k; j++)
			if (!reg_counter_is_reject(j))
				CHECK(strcmp(n, reg_counter_name(j)) != 0);
	}
	CHECK(strcmp(reg_counter_name(REG_C_APPLIED), "applied") == 0);
	CHECK(strcmp(reg_counter_name(REG_C_ACC0), "udp_datagrams") == 0);
	CHECK(strcmp(reg_counter_name(REG_C_ACC_CONNS), "connections") == 0);
	CHECK(reg_counter_name(REG_C_COUNT) == NULL);
	CHECK(reg_counter_help(REG_C_COUNT) == NULL);
	CHECK(!reg_counter_is_reject(REG_C_ACC0));
	CHECK(reg_counter_is_reject(REG_C_REJECT0));
	return check_done("shm counters_table");
}
