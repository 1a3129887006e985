// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record.c - `heapscope watch -o FILE.jsonl`: each reading as one JSON object per line, and
 * the same lines read back for `heapscope watch --report`.
 *
 * Owns: the line's fields and their names (the same words as the metrics, without the
 * heapscope_ prefix), the parser that reads them back.
 * Does not own: the file (cli/cmd_watch.c opens and flushes it), the verdict (report.c).
 * Invariants: one line = one process at one instant, complete or absent: a line is written
 * with one fputs-sized buffer and flushed per interval, so a recording cut by a crash loses
 * at most its last line, which the reader skips.  The reader trusts nothing: a flat object
 * of strings, numbers and booleans is all it accepts, but for "types", an array of flat
 * objects (other nesting, bad escapes, numbers that do not fit: the line is refused), and
 * unknown keys are ignored so that newer recordings still read.  Fields absent from a line
 * were not measured (has_mem, has_heap, has_types).
 */
#include "watch/record.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"

static const char *allocator_name(enum hs_watch_allocator a)
{
	return a == HS_WATCH_ALLOC_GLIBC ? "glibc" : a == HS_WATCH_ALLOC_OTHER ? "other" : "unknown";
}

static void u64(FILE *out, const char *key, uint64_t value)
{
	fprintf(out, ",\"%s\":%llu", key, (unsigned long long)value);
}

/* "types":[{"type":NAME,"bytes":N,"instances":N},...], the most bytes first; [] when the
 * census found none. */
static void write_types(FILE *out, const struct hs_watch_reading *r)
{
	fputs(",\"types\":[", out);
	for (size_t i = 0; i < r->type_count; i++) {
		fputs(i ? ",{\"type\":" : "{\"type\":", out);
		hs_json_string(out, r->types[i].name);
		u64(out, "bytes", r->types[i].bytes);
		u64(out, "instances", r->types[i].instances);
		fputc('}', out);
	}
	fputc(']', out);
}

void hs_record_write(FILE *out, const struct hs_watch_process *p, const struct hs_watch_reading *r)
{
	const struct hs_glibc_arena_stats *s = &r->total;
	char exe[HS_WATCH_EXE_LABEL_BYTES];
	size_t exe_len = strnlen(p->exe, sizeof(exe) - 1);

	fprintf(out, "{\"t\":%.3f,\"pid\":%d", r->t_s, p->pid);
	u64(out, "start_ticks", p->start_ticks);
	fputs(",\"comm\":", out);
	hs_json_string(out, p->comm);
	memcpy(exe, p->exe, exe_len); /* cut like the metrics' label: bounded lines */
	exe[exe_len] = '\0';
	fputs(",\"exe\":", out);
	hs_json_string(out, exe);
	fprintf(out, ",\"allocator\":\"%s\"", allocator_name(p->allocator));
	u64(out, "threads", r->threads);
	if (r->mem.valid) {
		u64(out, "rss_bytes", r->mem.rss_bytes);
		u64(out, "anonymous_bytes", r->mem.anon_bytes);
		u64(out, "heap_mapping_bytes", r->mem.heap_bytes);
	}
	if (r->allocator_read) {
		u64(out, "heap_system_bytes", s->system_bytes);
		u64(out, "heap_in_use_bytes", s->in_use_bytes);
		u64(out, "free_top_bytes", s->top_bytes);
		u64(out, "free_fastbins_bytes", s->fastbin_bytes);
		u64(out, "free_bins_bytes", s->bin_bytes);
		u64(out, "free_tcache_bytes", s->tcache_bytes);
		u64(out, "heap_trimmable_bytes", s->trimmable_bytes);
		u64(out, "heap_free_resident_bytes", s->free_resident_bytes);
		u64(out, "heap_mmapped_bytes", r->mmapped_bytes);
		u64(out, "heap_arenas", r->arenas);
		fprintf(out, ",\"consistent\":%s", r->consistent ? "true" : "false");
		if (r->types_read)
			write_types(out, r);
		if (r->types_error[0]) {
			fputs(",\"types_error\":", out);
			hs_json_string(out, r->types_error);
		}
	}
	fprintf(out, ",\"read_duration_seconds\":%.6f", r->read_duration_s);
	u64(out, "read_errors_total", p->read_errors);
	if (r->error[0]) {
		fputs(",\"error\":", out);
		hs_json_string(out, r->error);
	}
	fputs("}\n", out);
}

/* The parser's position in one line. */
struct cursor {
	const char *s, *end;
};

static void skip_space(struct cursor *c)
{
	while (c->s < c->end && (*c->s == ' ' || *c->s == '\t' || *c->s == '\r' || *c->s == '\n'))
		c->s++;
}

static bool take(struct cursor *c, char ch)
{
	skip_space(c);
	if (c->s < c->end && *c->s == ch) {
		c->s++;
		return true;
	}
	return false;
}

/* A JSON string into out (cut to out_len - 1 bytes; \u00XX decoded to its byte, others '?'). */
static int string(struct cursor *c, char *out, size_t out_len)
{
	size_t n = 0;

	if (!take(c, '"'))
		return -EINVAL;
	while (c->s < c->end && *c->s != '"') {
		unsigned char ch = (unsigned char)*c->s++;

		if (ch < 0x20)
			return -EINVAL;
		if (ch == '\\') {
			if (c->s >= c->end)
				return -EINVAL;
			ch = (unsigned char)*c->s++;
			switch (ch) {
			case '"': case '\\': case '/':
				break;
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'r':
				ch = '\r';
				break;
			case 'b':
				ch = '\b';
				break;
			case 'f':
				ch = '\f';
				break;
			case 'u': {
				unsigned value = 0;

				if (c->end - c->s < 4)
					return -EINVAL;
				for (int i = 0; i < 4; i++, c->s++) {
					if (!isxdigit((unsigned char)*c->s))
						return -EINVAL;
					value = value * 16 + (isdigit((unsigned char)*c->s) ?
						*c->s - '0' : (tolower((unsigned char)*c->s) - 'a' + 10));
				}
				ch = value < 0x100 && value ? (unsigned char)value : '?';
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (out && n + 1 < out_len)
			out[n++] = (char)ch;
	}
	if (out && out_len)
		out[n] = '\0';
	return take(c, '"') ? 0 : -EINVAL;
}

/* A number, true, false or null; *number = NAN for the last three. */
static int scalar(struct cursor *c, double *number)
{
	static const char *const words[] = { "true", "false", "null" };
	char buf[64], *end;
	size_t n = 0;

	skip_space(c);
	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(words[i]);

		if ((size_t)(c->end - c->s) >= len && memcmp(c->s, words[i], len) == 0) {
			c->s += len;
			*number = i == 0 ? 1 : i == 1 ? 0 : NAN;
			return 0;
		}
	}
	while (c->s < c->end && n + 1 < sizeof(buf) && strchr("+-0123456789.eE", *c->s))
		buf[n++] = *c->s++;
	buf[n] = '\0';
	if (!n)
		return -EINVAL;
	*number = strtod(buf, &end);
	return *end || !isfinite(*number) ? -EINVAL : 0;
}

/* A count: a finite number, >= 0, that a uint64_t holds exactly enough. */
static int count(double number, uint64_t *out)
{
	if (!(number >= 0 && number < 1.8e19))
		return -ERANGE;
	*out = (uint64_t)number;
	return 0;
}

struct field {
	const char *key;
	size_t offset; /* of a uint64_t in struct hs_record_line */
	int group;     /* 1: sets has_mem, 2: sets has_heap */
};

#define F(key, member, group) { key, offsetof(struct hs_record_line, member), group }
static const struct field fields[] = {
	F("start_ticks", start_ticks, 0),
	F("rss_bytes", rss_bytes, 1),
	F("anonymous_bytes", anon_bytes, 1),
	F("heap_mapping_bytes", heap_mapping_bytes, 1),
	F("heap_system_bytes", system_bytes, 2),
	F("heap_in_use_bytes", in_use_bytes, 2),
	F("free_top_bytes", top_bytes, 2),
	F("free_fastbins_bytes", fastbin_bytes, 2),
	F("free_bins_bytes", bin_bytes, 2),
	F("free_tcache_bytes", tcache_bytes, 2),
	F("heap_trimmable_bytes", trimmable_bytes, 2),
	F("heap_free_resident_bytes", free_resident_bytes, 2),
	F("heap_mmapped_bytes", mmapped_bytes, 2),
	F("read_errors_total", read_errors, 0),
};

static int apply(struct hs_record_line *rec, const char *key, double number)
{
	if (strcmp(key, "t") == 0) {
		if (!(number >= 0 && number < 1e11))
			return -ERANGE;
		rec->t_s = number;
		return 0;
	}
	if (strcmp(key, "pid") == 0) {
		if (!(number >= 1 && number <= 4194304) || number != floor(number))
			return -ERANGE;
		rec->pid = (pid_t)number;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key))
			continue;
		if (isnan(number))
			return 0;
		if (fields[i].group == 1)
			rec->has_mem = true;
		if (fields[i].group == 2)
			rec->has_heap = true;
		return count(number, (uint64_t *)((char *)rec + fields[i].offset));
	}
	return 0; /* a key this version does not know */
}

/* One {"type":...,"bytes":...,"instances":...} into type (unknown keys skipped). */
static int type_entry(struct cursor *c, struct hs_watch_type *type)
{
	bool named = false;

	memset(type, 0, sizeof(*type));
	if (!take(c, '{'))
		return -EINVAL;
	do {
		char key[32];
		double number;
		int err;

		if (string(c, key, sizeof(key)) || !take(c, ':'))
			return -EINVAL;
		skip_space(c);
		if (c->s < c->end && *c->s == '"') {
			bool is_name = strcmp(key, "type") == 0;

			err = string(c, is_name ? type->name : NULL, is_name ? sizeof(type->name) : 0);
			named |= is_name;
		} else {
			err = scalar(c, &number);
			if (!err && strcmp(key, "bytes") == 0)
				err = count(number, &type->bytes);
			else if (!err && strcmp(key, "instances") == 0)
				err = count(number, &type->instances);
		}
		if (err)
			return -EINVAL;
	} while (take(c, ','));
	return take(c, '}') && named ? 0 : -EINVAL;
}

/* The one nested value: "types", an array of flat objects; past HS_WATCH_MAX_TYPES entries
 * they are checked and not kept. */
static int types_array(struct cursor *c, struct hs_record_line *rec)
{
	struct hs_watch_type skipped;

	if (!take(c, '['))
		return -EINVAL;
	rec->has_types = true;
	rec->type_count = 0;
	if (take(c, ']'))
		return 0;
	do {
		bool keep = rec->type_count < HS_WATCH_MAX_TYPES;

		if (type_entry(c, keep ? &rec->types[rec->type_count] : &skipped))
			return -EINVAL;
		rec->type_count += keep;
	} while (take(c, ','));
	return take(c, ']') ? 0 : -EINVAL;
}

/* One line into rec: 0, or -EINVAL when it is not a reading (the caller skips and counts it). */
int hs_record_parse(const char *line, size_t len, struct hs_record_line *rec)
{
	struct cursor c = { line, line + len };
	bool has_t = false;
	int err = 0;

	memset(rec, 0, sizeof(*rec));
	if (len > HS_RECORD_MAX_LINE_BYTES || !take(&c, '{'))
		return -EINVAL;
	if (take(&c, '}'))
		return -EINVAL;
	do {
		char key[64];
		double number;

		if ((err = string(&c, key, sizeof(key))) || !take(&c, ':'))
			return -EINVAL;
		skip_space(&c);
		if (c.s < c.end && *c.s == '"') {
			char *to = strcmp(key, "comm") == 0 ? rec->comm :
				   strcmp(key, "exe") == 0  ? rec->exe : NULL;
			size_t to_len = to == rec->comm ? sizeof(rec->comm) : sizeof(rec->exe);

			err = string(&c, to, to ? to_len : 0);
		} else if (c.s < c.end && *c.s == '[' && strcmp(key, "types") == 0) {
			err = types_array(&c, rec);
		} else {
			err = scalar(&c, &number);
			if (!err)
				err = apply(rec, key, number);
			has_t |= !err && strcmp(key, "t") == 0;
		}
		if (err)
			return -EINVAL;
	} while (take(&c, ','));
	if (!take(&c, '}'))
		return -EINVAL;
	skip_space(&c);
	return c.s == c.end && has_t && rec->pid ? 0 : -EINVAL;
}
