/* atom.c - the Atom 1.0 writer (see atom.h). Elements are written in one
 * fixed order, one per line; text goes through atom_escape, which escapes
 * the five XML specials in content and attributes alike (so one function
 * serves both) and replaces what XML 1.0 forbids even as a character
 * reference. Text is otherwise copied byte for byte: callers pass UTF-8. */
#include "atom/atom.h"

#include <string.h>

#include "core/buf.h"
#include "core/timeutil.h"

void atom_escape(struct buf *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        case '\'': buf_puts(out, "&apos;"); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
                buf_putc(out, '?');
            } else if (p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
                buf_putc(out, '?'); /* U+FFFE, U+FFFF */
                p += 2;
            } else {
                buf_putc(out, (char)*p);
            }
        }
    }
}

/* <name>text</name> on a line of its own, indented. */
static void element(struct buf *out, const char *indent, const char *name, const char *text)
{
    buf_printf(out, "%s<%s>", indent, name);
    atom_escape(out, text);
    buf_printf(out, "</%s>\n", name);
}

static void time_element(struct buf *out, const char *indent, const char *name, int64_t t)
{
    char when[32];
    time_format(t, when, sizeof(when));
    element(out, indent, name, when);
}

static void link_element(struct buf *out, const char *indent, const char *rel, const char *type,
                 const char *href)
{
    buf_printf(out, "%s<link rel=\"%s\" type=\"%s\" href=\"", indent, rel, type);
    atom_escape(out, href);
    buf_puts(out, "\"/>\n");
}

void atom_open(struct buf *out, const struct atom_feed *feed)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                  "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(out, "  ", "id", feed->id);
    element(out, "  ", "title", feed->title);
    if (feed->subtitle)
        element(out, "  ", "subtitle", feed->subtitle);
    time_element(out, "  ", "updated", feed->updated);
    link_element(out, "  ", "self", "application/atom+xml", feed->self);
    if (feed->alternate)
        link_element(out, "  ", "alternate", "text/html", feed->alternate);
    buf_puts(out, "  <author>\n");
    element(out, "    ", "name", feed->author);
    buf_puts(out, "  </author>\n");
    if (feed->generator)
        element(out, "  ", "generator", feed->generator);
}

void atom_entry(struct buf *out, const struct atom_entry *entry)
{
    buf_puts(out, "  <entry>\n");
    element(out, "    ", "id", entry->id);
    element(out, "    ", "title", entry->title);
    time_element(out, "    ", "updated", entry->updated);
    if (entry->published >= 0)
        time_element(out, "    ", "published", entry->published);
    link_element(out, "    ", "alternate", "text/html", entry->link);
    if (entry->category) {
        buf_puts(out, "    <category term=\"");
        atom_escape(out, entry->category);
        if (entry->category_label) {
            buf_puts(out, "\" label=\"");
            atom_escape(out, entry->category_label);
        }
        buf_puts(out, "\"/>\n");
    }
    if (entry->summary) {
        buf_puts(out, "    <summary type=\"text\">");
        atom_escape(out, entry->summary);
        buf_puts(out, "</summary>\n");
    }
    buf_puts(out, "  </entry>\n");
}

void atom_close(struct buf *out)
{
    buf_puts(out, "</feed>\n");
}
