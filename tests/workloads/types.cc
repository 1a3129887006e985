// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * types.cc - known instances of three polymorphic classes for heapscope inspect's census:
 * media::Alpha and Beta (derived from Alpha) in the executable, Gamma in libtypes.so.
 * The truth file has one line per class: NAME INSTANCES BYTES, the bytes being the usable
 * size of each instance's chunk (malloc_usable_size), which is what a chunk census counts.
 * Same handshake as every workload (workload.h): ready, go, truth + done, exit.
 */
#include <malloc.h>
#include <stdio.h>
#include <vector>

#include "types_lib.h"
#include "workload.h"

namespace media {
class Alpha {
public:
	virtual ~Alpha() = default;
	virtual int kind() const { return 1; }
	long id = 0;
};

class Beta : public Alpha {
public:
	int kind() const override { return 2; }
	char buffer[200] = {};
};
} // namespace media

static const int alpha_count = 1000, beta_count = 300, gamma_count = 77;

int main(int argc, char **argv)
{
	static media::Alpha *alphas[alpha_count];
	static media::Beta *betas[beta_count];
	static Gamma *gammas[gamma_count];
	unsigned long long alpha_bytes = 0, beta_bytes = 0, gamma_bytes = 0;
	char line[256];
	size_t len = 0;

	workload_start(argc, argv);
	for (int i = 0; i < alpha_count; i++) {
		alphas[i] = new media::Alpha();
		alpha_bytes += malloc_usable_size(alphas[i]);
	}
	for (int i = 0; i < beta_count; i++) {
		betas[i] = new media::Beta();
		beta_bytes += malloc_usable_size(betas[i]);
	}
	for (int i = 0; i < gamma_count; i++) {
		gammas[i] = make_gamma(i);
		gamma_bytes += malloc_usable_size(gammas[i]);
	}
	len += snprintf(line + len, sizeof(line) - len, "media::Alpha %d %llu\n", alpha_count,
			alpha_bytes);
	len += snprintf(line + len, sizeof(line) - len, "media::Beta %d %llu\n", beta_count,
			beta_bytes);
	len += snprintf(line + len, sizeof(line) - len, "Gamma %d %llu\n", gamma_count,
			gamma_bytes);
	workload_write("truth", line, len);
	workload_touch("done");
	workload_wait("exit");
	return alphas[0]->kind() + betas[0]->kind() + gammas[0]->kind() == 6 ? 0 : 1;
}
