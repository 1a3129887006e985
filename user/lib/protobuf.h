/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROTOBUF_H
#define HEAPSCOPE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A growing buffer of protobuf wire format.  Writers never fail on the spot:
 * the first allocation failure is kept in error (-ENOMEM) and later writes do
 * nothing, so a message is built without a check per field.
 */
struct hs_pb {
	uint8_t *data;
	size_t len, capacity;
	int error;
};

void hs_pb_free(struct hs_pb *pb);
void hs_pb_varint(struct hs_pb *pb, uint64_t value);
void hs_pb_uint(struct hs_pb *pb, uint32_t field, uint64_t value);
void hs_pb_bool(struct hs_pb *pb, uint32_t field, int value);
void hs_pb_bytes(struct hs_pb *pb, uint32_t field, const void *data, size_t len);
void hs_pb_string(struct hs_pb *pb, uint32_t field, const char *text);
void hs_pb_packed(struct hs_pb *pb, uint32_t field, const uint64_t *values, size_t count);
void hs_pb_raw(struct hs_pb *pb, const void *data, size_t len);
void hs_pb_message(struct hs_pb *pb, uint32_t field, const struct hs_pb *message);
void hs_pb_append(struct hs_pb *pb, const struct hs_pb *fields);

#endif
