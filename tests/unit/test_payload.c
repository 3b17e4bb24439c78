/* test_payload.c - unit tests of src/notify/payload.c: the severity
 * thresholds, the JSON payload (strict JSON with the documented fields
 * and the incident embedded as it is), and the chat rendering (text and
 * blocks, Slack's entities escaped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/json.h"
#include "notify/payload.h"

static const struct payload_notice notice = {
    .event = EVENT_UPDATED,
    .incident = "whatsapp-20240403T163030Z",
    .service = "whatsapp",
    .service_name = "WhatsApp <beta> & co",
    .owner = "Meta",
    .severity = SEVERITY_CRITICAL,
    .countries = "BR,GB,IN,IT,DE",
    .countries_added = "IT,DE",
    .countries_removed = "",
    .severity_before = SEVERITY_MAJOR,
    .start = 1712161800,
    .end = -1,
    .incident_json = "{\"id\":\"whatsapp-20240403T163030Z\",\"maintenance\":false}",
    .sent = 1764395000123,
};

static void severity_follows_countries_and_the_ratio(void **state)
{
    (void)state;
    assert_int_equal(payload_severity(1, 40, 5), SEVERITY_MINOR);
    assert_int_equal(payload_severity(2, 10, 5), SEVERITY_MAJOR);
    assert_int_equal(payload_severity(1, 50, 5), SEVERITY_MAJOR);      /* 10x */
    assert_int_equal(payload_severity(0, 8, 0.2), SEVERITY_MINOR);     /* expected counts as 1 */
    assert_int_equal(payload_severity(4, 10, 5), SEVERITY_MAJOR);
    assert_int_equal(payload_severity(5, 10, 5), SEVERITY_CRITICAL);
    assert_int_equal(payload_severity(1, 500, 10), SEVERITY_CRITICAL); /* 50x */
    assert_int_equal(payload_severity_parse("major", 5), SEVERITY_MAJOR);
    assert_int_equal(payload_event_parse("official_update", 15), EVENT_OFFICIAL_UPDATE);
    assert_int_equal(payload_event_parse("open", 4), -1);
}

static void the_json_payload_is_strict_json_with_the_incident_inside(void **state)
{
    (void)state;
    struct buf out;
    buf_init(&out);
    payload_json(&notice, &out);
    jsmntok_t tok[64];
    char detail[128];
    assert_true(json_parse(out.data, out.len, tok, 64, detail, sizeof(detail)) > 0);
    assert_non_null(strstr(out.data, "\"version\":1,\"event\":\"updated\",\"sent_at\":"
                                     "\"2025-11-29T05:43:20.123Z\",\"severity\":\"critical\""));
    assert_non_null(strstr(out.data, "\"incident\":{\"id\":\"whatsapp-20240403T163030Z\","
                                     "\"maintenance\":false}"));
    assert_non_null(strstr(out.data, "\"changes\":{\"countries_added\":[\"IT\",\"DE\"],"
                                     "\"countries_removed\":[],\"severity_before\":\"major\"}"));
    assert_null(strstr(out.data, "\"update\""));
    buf_free(&out);
}

static void the_chat_message_escapes_what_slack_would_read(void **state)
{
    (void)state;
    struct payload_notice n = notice;
    n.event = EVENT_OFFICIAL_UPDATE;
    n.update_text = "<!channel> fixed & done";
    n.update_status = "resolved";
    struct buf out;
    buf_init(&out);
    payload_slack(&n, &out);
    jsmntok_t tok[64];
    char detail[128];
    assert_true(json_parse(out.data, out.len, tok, 64, detail, sizeof(detail)) > 0);
    assert_non_null(strstr(out.data, "\"text\":\"WhatsApp &lt;beta&gt; &amp; co official update "
                                     "(critical): &lt;!channel&gt; fixed &amp; done\""));
    assert_null(strstr(out.data, "<!channel>"));
    assert_non_null(strstr(out.data, "\"type\":\"header\""));
    assert_non_null(strstr(out.data, "*Status:* resolved"));
    buf_free(&out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(severity_follows_countries_and_the_ratio),
        cmocka_unit_test(the_json_payload_is_strict_json_with_the_incident_inside),
        cmocka_unit_test(the_chat_message_escapes_what_slack_would_read),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
