/* bench_sqlite_insert.c - the reference for bulk ingest: how many report
 * rows per second bare SQLite takes on this machine, in WAL mode with
 * synchronous=NORMAL, one prepared INSERT rebound per row, 5000 rows per
 * transaction, into the same table shape downwatch uses. bench/ingest
 * prints downwatch's bulk HTTP rate beside it.
 *
 * usage: bench_sqlite_insert DB_PATH [ROWS] */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DB_PATH [ROWS]\n", argv[0]);
        return 2;
    }
    long rows = argc > 2 ? atol(argv[2]) : 2000000;
    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE IF NOT EXISTS reports(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
                 " received INTEGER NOT NULL, service INTEGER NOT NULL, country INTEGER NOT NULL,"
                 " problem INTEGER NOT NULL, counted INTEGER NOT NULL, voter INTEGER NOT NULL,"
                 " client TEXT)",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db,
                       "INSERT INTO reports(ts,received,service,country,problem,counted,voter,client)"
                       " VALUES(?,?,?,?,?,?,?,?)",
                       -1, &ins, NULL);
    char client[17];
    double t0 = now();
    for (long i = 0; i < rows;) {
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int k = 0; k < 5000 && i < rows; k++, i++) {
            snprintf(client, sizeof(client), "%016lx", (unsigned long)i * 2654435761UL);
            sqlite3_bind_int64(ins, 1, 1712161867 + i / 100);
            sqlite3_bind_int64(ins, 2, 1712161867 + i / 100);
            sqlite3_bind_int(ins, 3, (int)(i % 50));
            sqlite3_bind_int(ins, 4, (int)(i % 20));
            sqlite3_bind_int(ins, 5, (int)(i % 8));
            sqlite3_bind_int(ins, 6, 1);
            sqlite3_bind_int64(ins, 7, (sqlite3_int64)(i * 0x9E3779B97F4A7C15ULL));
            sqlite3_bind_text(ins, 8, client, 16, SQLITE_STATIC);
            sqlite3_step(ins);
            sqlite3_reset(ins);
        }
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    double secs = now() - t0;
    printf("RESULT rows_per_s=%.0f\n", (double)rows / secs);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return 0;
}
