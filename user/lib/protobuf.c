// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * protobuf.c - just enough of the protobuf wire format to write pprof
 * profiles: varints (wire type 0) and length-delimited fields (wire type 2:
 * bytes, strings, packed repeated varints, nested messages).  Nested messages
 * are built in their own buffer and appended whole, so lengths are known
 * before they are written.
 *
 * Owns: the buffer.  Does not own: the schema (render/pprof.c knows the field
 * numbers).  Invariant: data[0..len) is always valid wire format for the
 * fields written so far, unless error is set.
 */
#include "lib/protobuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_VARINT 0
#define WIRE_LEN 2

void hs_pb_free(struct hs_pb *pb)
{
	free(pb->data);
	memset(pb, 0, sizeof(*pb));
}

static int reserve(struct hs_pb *pb, size_t more)
{
	size_t capacity = pb->capacity ? pb->capacity : 256;
	uint8_t *bigger;

	if (pb->error)
		return pb->error;
	if (pb->len + more <= pb->capacity)
		return 0;
	while (capacity < pb->len + more)
		capacity *= 2;
	bigger = realloc(pb->data, capacity);
	if (!bigger)
		return pb->error = -ENOMEM;
	pb->data = bigger;
	pb->capacity = capacity;
	return 0;
}

void hs_pb_varint(struct hs_pb *pb, uint64_t value)
{
	if (reserve(pb, 10))
		return;
	while (value >= 0x80) {
		pb->data[pb->len++] = (uint8_t)(value | 0x80);
		value >>= 7;
	}
	pb->data[pb->len++] = (uint8_t)value;
}

static void tag(struct hs_pb *pb, uint32_t field, unsigned int wire_type)
{
	hs_pb_varint(pb, (uint64_t)field << 3 | wire_type);
}

void hs_pb_uint(struct hs_pb *pb, uint32_t field, uint64_t value)
{
	tag(pb, field, WIRE_VARINT);
	hs_pb_varint(pb, value);
}

void hs_pb_bool(struct hs_pb *pb, uint32_t field, int value)
{
	hs_pb_uint(pb, field, value ? 1 : 0);
}

void hs_pb_raw(struct hs_pb *pb, const void *data, size_t len)
{
	if (len && !reserve(pb, len)) {
		memcpy(pb->data + pb->len, data, len);
		pb->len += len;
	}
}

void hs_pb_bytes(struct hs_pb *pb, uint32_t field, const void *data, size_t len)
{
	tag(pb, field, WIRE_LEN);
	hs_pb_varint(pb, len);
	hs_pb_raw(pb, data, len);
}

void hs_pb_string(struct hs_pb *pb, uint32_t field, const char *text)
{
	hs_pb_bytes(pb, field, text, strlen(text));
}

static size_t varint_len(uint64_t value)
{
	size_t len = 1;

	while (value >= 0x80) {
		value >>= 7;
		len++;
	}
	return len;
}

void hs_pb_packed(struct hs_pb *pb, uint32_t field, const uint64_t *values, size_t count)
{
	size_t len = 0;

	for (size_t i = 0; i < count; i++)
		len += varint_len(values[i]);
	tag(pb, field, WIRE_LEN);
	hs_pb_varint(pb, len);
	for (size_t i = 0; i < count; i++)
		hs_pb_varint(pb, values[i]);
}

static void take_error(struct hs_pb *pb, const struct hs_pb *from)
{
	if (from->error && !pb->error)
		pb->error = from->error;
}

void hs_pb_message(struct hs_pb *pb, uint32_t field, const struct hs_pb *message)
{
	take_error(pb, message);
	hs_pb_bytes(pb, field, message->data, message->len);
}

/* Fields of one message may come in any order: appending more of them is valid. */
void hs_pb_append(struct hs_pb *pb, const struct hs_pb *fields)
{
	take_error(pb, fields);
	hs_pb_raw(pb, fields->data, fields->len);
}
