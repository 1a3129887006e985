/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_TEST_TYPES_LIB_H
#define HEAPSCOPE_TEST_TYPES_LIB_H


class Gamma {
public:
	explicit Gamma(int v) : value(v) {}
	virtual ~Gamma();
	virtual int kind() const;
	long value;
	char payload[40];
};

Gamma *make_gamma(int value);

#endif
