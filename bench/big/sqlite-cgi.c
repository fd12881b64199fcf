/* A WAGI (CGI) program on SQLite: builds an in-memory table of N rows (N from the query
 * string, default 2000), then answers an aggregate query over it. Most of its time is in
 * sqlite3VdbeExec, SQLite's bytecode interpreter: one huge wasm function. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int row(void *out, int n, char **values, char **names) {
  (void)names;
  for (int i = 0; i < n; i++) printf("%s%s", i ? " " : "", values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

int main(void) {
  const char *query = getenv("QUERY_STRING");
  int n = query && *query ? atoi(query) : 2000;
  sqlite3 *db;
  char *err = 0;
  printf("Content-Type: text/plain\n\n");
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  char sql[512];
  snprintf(sql, sizeof sql,
           "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);"
           "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<%d) "
           "INSERT INTO t SELECT i, 'name' || (i * 7919 %% 1000), i * 0.5 FROM c;"
           "SELECT count(*), sum(v), max(name), min(length(name)) FROM t;"
           "SELECT name, count(*) FROM t GROUP BY name ORDER BY 2 DESC, 1 LIMIT 3;",
           n);
  if (sqlite3_exec(db, sql, row, 0, &err) != SQLITE_OK) {
    printf("error: %s\n", err);
    return 1;
  }
  sqlite3_close(db);
  return 0;
}
