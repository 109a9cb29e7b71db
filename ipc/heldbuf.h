/*
 * heldbuf: the bytes a stream decoder holds between reads (an object split
 * across TCP segments), grown by doubling up to a cap and released once a
 * large buffer empties. Shared by the msgpack and forward stream decoders.
 */
#ifndef PENCHANT_IPC_HELDBUF_H
#define PENCHANT_IPC_HELDBUF_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HB_MIN 4096 /* first allocation */

/*
 * Appends n bytes; the buffer never grows past max (the caller checked that
 * *len + n fits). 0 or -ENOMEM (nothing appended).
 */
static inline int hb_append(char **buf, size_t *len, size_t *cap, const char *p,
    size_t n, size_t max)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : HB_MIN;
		while (c < *len + n)
			c *= 2;
		if (c > max)
			c = max;
		char *nb = realloc(*buf, c);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* Drops the first n held bytes; frees a big buffer once it is empty. */
static inline void hb_drop(char **buf, size_t *len, size_t *cap, size_t n)
{
	memmove(*buf, *buf + n, *len - n);
	*len -= n;
	if (*len == 0 && *cap > 4 * HB_MIN) {
		free(*buf);
		*buf = NULL;
		*cap = 0;
	}
}

#endif
