/* atom.h - Atom 1.0 (RFC 4287) feeds written into a buffer.
 *
 * The writer knows nothing of incidents: callers fill a feed head and its
 * entries with text, and it writes the elements that RFC 4287 requires
 * (feed: id, title, updated, author, link rel="self"; entry: id, title,
 * updated, and a link rel="alternate" or a summary), in UTF-8, with every
 * text and attribute value escaped (& < > " '), and the characters XML 1.0
 * cannot carry at all (C0 controls but tab and newlines, U+FFFE, U+FFFF)
 * replaced by '?'. Times are Unix seconds, written as RFC 3339 UTC. */
#ifndef DW_ATOM_H
#define DW_ATOM_H

#include <stdint.h>

struct buf;

/* The feed's own elements. NULL optional fields are left out. */
struct atom_feed {
    const char *id;        /* a permanent IRI (tag: or urn:), required */
    const char *title;     /* required */
    const char *subtitle;
    int64_t updated;       /* the newest change of the feed, required */
    const char *self;      /* the feed's own absolute URL, required */
    const char *alternate; /* the HTML page the feed follows */
    const char *author;    /* a name, required (entries have none of their own) */
    const char *generator; /* the program's name */
};

struct atom_entry {
    const char *id;        /* a permanent IRI, required */
    const char *title;     /* required */
    int64_t updated;       /* its last change, required */
    int64_t published;     /* when it first appeared; < 0 leaves it out */
    const char *link;      /* alternate: the entry's HTML page, required */
    const char *summary;   /* plain text */
    const char *category;  /* a term ... */
    const char *category_label; /* ... and its human label */
};

/* The XML declaration and the <feed> head; entries follow, then
 * atom_close. */
void atom_open(struct buf *out, const struct atom_feed *feed);
void atom_entry(struct buf *out, const struct atom_entry *entry);
void atom_close(struct buf *out);

/* Append text escaped for XML content and attribute values. */
void atom_escape(struct buf *out, const char *text);

#endif
