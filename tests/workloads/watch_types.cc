// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * watch_types.cc - C++ objects of fourteen polymorphic classes with known counts, for
 * `heapscope watch`'s largest types: more classes than watch exports (10), one with a name
 * longer than a label may be (cut), one in an anonymous namespace; then every instance of the
 * largest class is deleted, so that it leaves the top and the eleventh comes in.
 *
 * Truth files, one line per class: INSTANCES BYTES NAME, BYTES being the usable sizes of the
 * instances' chunks (malloc_usable_size) as a chunk census counts them, NAME as the
 * demangler names the class (typeid), which is how its vtable symbol demangles.
 * Handshake (workload.h): ready, go; the objects, types.txt, built; wait for drop; the
 * largest class deleted, dropped.txt, dropped; wait for exit.  TYPES_SCALE=N (environment)
 * makes N times as many of each (tools/bench_watch.sh: a C++ heap of ~20 MiB at 40).
 */
#include <cxxabi.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <typeinfo>

#include "workload.h"

namespace shop {
struct Base {
	virtual ~Base() = default;
	virtual int kind() const { return 0; }
};

/* Class K: 100 + 13K instances of 8 + 24K bytes each: bytes grow with K. */
template <int K> struct Sized : Base {
	int kind() const override { return K; }
	char payload[24 * K] = {};
};
#define CLASS(name, k) struct name : Sized<k> { int kind() const override { return k; } }
CLASS(Address, 1);
CLASS(Coupon, 2);
CLASS(Review, 3);
CLASS(Wishlist, 4);
CLASS(User, 5);
CLASS(Session, 6);
CLASS(Item, 7);
CLASS(Payment, 8);
CLASS(Invoice, 9);
CLASS(Order, 10);
CLASS(Cart, 11);
CLASS(Shipment, 12);

/* A name longer than a Prometheus label heapscope writes (127 bytes). */
struct AnExtraordinarilyLongClassNameThatAGeneratorMightWriteForAProtocolBufferMessageNestedDeepInsideAnotherMessageOfTheCatalogueService
	: Base {
	int kind() const override { return 13; }
	char payload[1000] = {};
};
} // namespace shop

namespace {
struct Hidden : shop::Base {
	int kind() const override { return 14; }
	char payload[8] = {};
};
} // namespace

struct klass {
	char name[512];
	int count;
	unsigned long long bytes;
	shop::Base **objects;
};

static struct klass classes[14];
static int class_count, scale = 1;

template <typename T> static void make(int count)
{
	struct klass *c = &classes[class_count++];
	char *name = abi::__cxa_demangle(typeid(T).name(), NULL, NULL, NULL);

	snprintf(c->name, sizeof(c->name), "%s", name ? name : typeid(T).name());
	free(name);
	count *= scale;
	c->count = count;
	c->objects = (shop::Base **)malloc(count * sizeof(*c->objects));
	if (!c->objects)
		exit(1);
	for (int i = 0; i < count; i++) {
		c->objects[i] = new T();
		c->bytes += malloc_usable_size(c->objects[i]);
	}
}

static void write_truth(const char *file, int skip)
{
	static char text[16384];
	size_t len = 0;

	for (int i = 0; i < class_count; i++)
		if (i != skip)
			len += snprintf(text + len, sizeof(text) - len, "%d %llu %s\n", classes[i].count,
					classes[i].bytes, classes[i].name);
	workload_write(file, text, len);
}

int main(int argc, char **argv)
{
	using namespace shop;
	int sum = 0;

	if (getenv("TYPES_SCALE") && atoi(getenv("TYPES_SCALE")) > 0)
		scale = atoi(getenv("TYPES_SCALE"));
	workload_start(argc, argv);
	make<Address>(113);
	make<Coupon>(126);
	make<Review>(139);
	make<Wishlist>(152);
	make<User>(165);
	make<Session>(178);
	make<Item>(191);
	make<Payment>(204);
	make<Invoice>(217);
	make<Order>(230);
	make<Cart>(243);
	make<Shipment>(256);
	make<AnExtraordinarilyLongClassNameThatAGeneratorMightWriteForAProtocolBufferMessageNestedDeepInsideAnotherMessageOfTheCatalogueService>(50);
	make<Hidden>(40);
	write_truth("types.txt", -1);
	workload_touch("built");
	workload_wait("drop");
	/* Every Shipment (the largest class) deleted. */
	for (int i = 0; i < classes[11].count; i++)
		delete classes[11].objects[i];
	write_truth("dropped.txt", 11);
	workload_touch("dropped");
	workload_wait("exit");
	for (int i = 0; i < class_count; i++)
		if (i != 11)
			sum += classes[i].objects[0]->kind();
	return sum > 0 ? 0 : 1;
}
