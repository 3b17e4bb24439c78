/* fuzz_config.c - libFuzzer target for the config file parser: any bytes
 * must either apply cleanly or fail with an error sentence, never crash; a
 * successful parse must leave every option within the bounds a config file
 * can set (checked through config_print, which reads every field). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config cfg;
    char err[256];
    config_defaults(&cfg);
    err[0] = '\0';
    int rc = config_apply_text(&cfg, (const char *)data, size, "fuzz", err, sizeof(err));
    if (rc < 0 && err[0] == '\0')
        __builtin_trap(); /* an error must say why */
    if (rc == 0 && (cfg.idle_timeout < 1 || cfg.max_body < 1024 || cfg.series_minutes < 60))
        __builtin_trap();
    FILE *null = fopen("/dev/null", "w");
    if (null) {
        config_print(&cfg, null);
        fclose(null);
    }
    return 0;
}
