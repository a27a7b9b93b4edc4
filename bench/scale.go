package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

// ScaleOptions of one scale run (payouts bench -scale).
type ScaleOptions struct {
	Rows        int       // payouts in the table
	Requests    int       // timed requests per query
	Webhooks    int       // webhooks per ingestion variant; 0 skips ingestion
	Concurrency int       // webhooks in flight
	DatabaseURL string    // server on which a fresh database is made
	Progress    io.Writer // progress bars; nil for none
	// Keep leaves the filled database in place (ScaleResult.KeptDSN), to
	// try plans by hand; it is dropped otherwise.
	Keep bool
}

// ScaleResult holds the figures of a scale run. Latencies are float64
// milliseconds: they are not money.
type ScaleResult struct {
	Rows        int             `json:"rows"`
	KeptDSN     string          `json:"kept_dsn,omitempty"`
	CPUs        int             `json:"cpus"`
	FillSeconds float64         `json:"fill_seconds"`
	TableMB     float64         `json:"payouts_table_mb"`
	IndexesMB   float64         `json:"payouts_indexes_mb"`
	Queries     []QueryResult   `json:"queries"`
	Webhooks    []WebhookResult `json:"webhooks,omitempty"`
	Export      ExportResult    `json:"export"` // GET /payouts/export.csv of every payout
}

// QueryResult is one admin query, timed through the HTTP handler, with the
// plans of the SQL statements it sent.
type QueryResult struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Items    int      `json:"items"` // list items, or the stats' total
	P50Ms    float64  `json:"p50_ms"`
	P95Ms    float64  `json:"p95_ms"`
	MaxMs    float64  `json:"max_ms"`
	Indexes  []string `json:"indexes"`          // scan nodes of its plans, e.g. "Index Scan using payouts_created_idx"
	SeqScan  bool     `json:"seq_scan_payouts"` // a plan reads the payouts table sequentially
	SQLCount int      `json:"sql_statements"`   // statements per request, transaction control included
	Plans    []string `json:"plans"`            // EXPLAIN (ANALYZE, BUFFERS) of each statement
	SQL      []string `json:"sql"`              // the statements, in order
}

// scaleQuery is a request to time; build runs once the table is filled,
// for paths that depend on its contents.
type scaleQuery struct {
	name  string
	build func(ctx context.Context, s *scaleEnv) (string, error)
}

func fixed(path string) func(context.Context, *scaleEnv) (string, error) {
	return func(context.Context, *scaleEnv) (string, error) { return path, nil }
}

// scaleQueries are the admin screens an operator opens on a large table
// of rows payouts.
func scaleQueries(rows int) []scaleQuery {
	period := func(days int) func(context.Context, *scaleEnv) (string, error) {
		return func(_ context.Context, s *scaleEnv) (string, error) {
			from := s.now.Add(-time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)
			return "/dashboard/api/admin-stats?from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(s.now.Format(time.RFC3339)), nil
		}
	}
	return []scaleQuery{
		{"list: first page", fixed("/payouts")},
		{"list: status=failed", fixed("/payouts?status=failed")},
		{"list: status=expired (0.3%)", fixed("/payouts?status=expired")},
		{"list: open statuses", fixed("/payouts?status=submitted,processing,verifying")},
		{"list: final statuses", fixed("/payouts?status=failed,cancelled,expired")},
		{"list: largest client", fixed("/payouts?client_id=client-0")},
		{"list: small client", fixed("/payouts?client_id=client-7000")},
		{"list: asset=BTC", fixed("/payouts?asset=BTC")},
		{"list: status+asset", fixed("/payouts?status=failed&asset=USDC")},
		{"list: needs_attention", fixed("/payouts?needs_attention=true")},
		{"list: deep page (row " + thousands(rows/2) + ")", deepPage("", rows/2)},
		{"list: deep page, status=paid (row " + thousands(rows*2/5) + ")", deepPage("paid", rows*2/5)},
		{"stats: all time", fixed("/dashboard/api/admin-stats")},
		{"stats: last 30 days", period(30)},
		{"stats: last 7 days", period(7)},
	}
}

// deepPage is the page after the row at depth, as a client that paged
// that far would ask for it. The cursor is built here in the API's format
// (see httpapi's encodeCursor) instead of walking there page by page.
func deepPage(status string, depth int) func(context.Context, *scaleEnv) (string, error) {
	return func(ctx context.Context, s *scaleEnv) (string, error) {
		where, args := "", []any{max(1, depth)}
		if status != "" {
			where, args = "WHERE status = $2", append(args, status)
		}
		var at time.Time
		var id string
		err := s.pool.QueryRow(ctx, `SELECT created_at, id FROM payouts `+where+`
			ORDER BY created_at DESC, id DESC OFFSET $1 - 1 LIMIT 1`, args...).Scan(&at, &id)
		if err != nil {
			return "", fmt.Errorf("find the row at depth %d: %w", depth, err)
		}
		cursor := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id))
		path := "/payouts?cursor=" + cursor
		if status != "" {
			path += "&status=" + status
		}
		return path, nil
	}
}

// scaleEnv is what a scale run starts.
type scaleEnv struct {
	rows   int
	now    time.Time
	dsn    string
	dropDB func(context.Context) error
	pool   *pgxpool.Pool // the bench's own statements, untraced
	store  *store.Store
	sql    *sqlRecorder
	api    *http.Server
	apiURL string
	// http keeps a connection per request in flight, as a load balancer in
	// front of the API would, instead of DefaultClient's two.
	http *http.Client
}

// RunScale fills a fresh database with o.Rows payouts, times the admin
// list and statistics queries through the HTTP handler and explains their
// SQL, then measures webhook ingestion.
func RunScale(ctx context.Context, o ScaleOptions) (res ScaleResult, err error) {
	if o.Rows <= 0 || o.Requests <= 0 || o.Concurrency <= 0 {
		return ScaleResult{}, fmt.Errorf("bench: rows, requests and concurrency must be positive")
	}
	s := &scaleEnv{rows: o.Rows, now: time.Now().UTC().Truncate(time.Second), sql: &sqlRecorder{},
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency}}}
	defer func() {
		if cerr := s.close(); cerr != nil && err == nil {
			err = fmt.Errorf("bench: stop: %w", cerr)
		}
	}()
	if err := s.startDatabase(ctx, o); err != nil {
		return ScaleResult{}, err
	}
	res = ScaleResult{Rows: o.Rows, CPUs: runtime.NumCPU()}
	if o.Keep {
		res.KeptDSN, s.dropDB = s.dsn, nil
	}
	began := time.Now()
	if err := fillPayouts(ctx, s.pool, o.Rows, s.now, newProgress(o.Progress, "fill payouts", o.Rows)); err != nil {
		return ScaleResult{}, err
	}
	// What autovacuum does on a live table, done now: statistics for the
	// planner, and the visibility map that lets index-only scans skip the
	// heap.
	if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) payouts`); err != nil {
		return ScaleResult{}, fmt.Errorf("vacuum analyze: %w", err)
	}
	res.FillSeconds = time.Since(began).Seconds()
	if err := s.pool.QueryRow(ctx, `SELECT pg_table_size('payouts') / 1048576.0, pg_indexes_size('payouts') / 1048576.0`).
		Scan(&res.TableMB, &res.IndexesMB); err != nil {
		return ScaleResult{}, fmt.Errorf("table size: %w", err)
	}
	if err := s.startAPI(ctx, nil); err != nil {
		return ScaleResult{}, err
	}
	if err := fillAudit(ctx, s.pool, o.Rows, s.now, newProgress(o.Progress, "fill audit", o.Rows)); err != nil {
		return ScaleResult{}, err
	}
	for _, q := range append(scaleQueries(o.Rows), clicksQueries()...) {
		qr, err := s.measure(ctx, q, o.Requests)
		if err != nil {
			return ScaleResult{}, fmt.Errorf("%s: %w", q.name, err)
		}
		res.Queries = append(res.Queries, qr)
	}
	if res.Export, err = s.measureExport(ctx, o.Progress); err != nil {
		return ScaleResult{}, fmt.Errorf("export: %w", err)
	}
	if o.Webhooks > 0 {
		res.Webhooks, err = s.webhooks(ctx, o)
	}
	return res, err
}

func (s *scaleEnv) startDatabase(ctx context.Context, o ScaleOptions) error {
	dsn, drop, err := testdb.Create(ctx, o.DatabaseURL)
	if err != nil {
		return fmt.Errorf("create benchmark database (is PostgreSQL running? pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): %w", err)
	}
	s.dsn, s.dropDB = dsn, drop
	if s.pool, err = pgxpool.New(ctx, dsn); err != nil {
		return err
	}
	s.store, err = store.Open(ctx, dsn, func(c *pgxpool.Config) {
		c.ConnConfig.Tracer = s.sql
		c.MaxConns = int32(max(8, o.Concurrency))
	})
	return err
}

// startAPI serves the product's handler on a loopback port, as the api
// command does; tc is the Temporal client the webhook phase needs (nil for
// the read-only queries).
func (s *scaleEnv) startAPI(ctx context.Context, tc client.Client) error {
	if s.api != nil {
		if err := s.api.Close(); err != nil {
			return err
		}
	}
	svc, err := usecase.New(ctx, usecase.Deps{Store: s.store, Temporal: tc, TaskQueue: idleQueue, Logger: quiet()})
	if err != nil {
		return err
	}
	d := httpapi.Deps{Service: svc, Store: s.store, HeleketAPIKey: benchKey,
		AdminTokens: []access.Credential{access.NewCredential(benchAdminName, benchToken, nil, time.Time{})}, Logger: quiet()}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.apiURL = "http://" + listener.Addr().String()
	s.api = &http.Server{Handler: httpapi.New(d), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.api.Serve(listener) }() // Serve ends with ErrServerClosed at close
	return nil
}

// measure warms a query up, records the SQL of one request, times
// requests one at a time, and explains the recorded SQL.
func (s *scaleEnv) measure(ctx context.Context, q scaleQuery, n int) (QueryResult, error) {
	path, err := q.build(ctx, s)
	if err != nil {
		return QueryResult{}, err
	}
	r := QueryResult{Name: q.name, Path: path}
	for range 3 {
		if _, err := s.get(ctx, path); err != nil {
			return r, err
		}
	}
	s.sql.record(true)
	r.Items, err = s.get(ctx, path)
	stmts := s.sql.record(false)
	if err != nil {
		return r, err
	}
	times := make([]time.Duration, n)
	for i := range n {
		began := time.Now()
		if _, err := s.get(ctx, path); err != nil {
			return r, err
		}
		times[i] = time.Since(began)
	}
	sorted := sortedCopy(times)
	r.P50Ms, r.P95Ms, r.MaxMs = percentile(sorted, .5), percentile(sorted, .95), percentile(sorted, 1)
	r.SQLCount = len(stmts)
	for _, st := range stmts {
		if txControl(st.sql) {
			continue
		}
		plan, err := s.explain(ctx, st)
		if err != nil {
			return r, err
		}
		r.SQL = append(r.SQL, strings.Join(strings.Fields(st.sql), " "))
		r.Plans = append(r.Plans, plan)
		r.Indexes = append(r.Indexes, scanNodes(plan)...)
		r.SeqScan = r.SeqScan || strings.Contains(plan, "Seq Scan on payouts") || strings.Contains(plan, "Seq Scan on payout_events")
	}
	return r, nil
}

// get sends an admin GET and returns the number of list items, or the
// total of a statistics answer.
func (s *scaleEnv) get(ctx context.Context, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiURL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	var body struct {
		Items []json.RawMessage `json:"items"`
		Total *int              `json:"total"`
		Error string            `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: HTTP %d %s (%v)", path, resp.StatusCode, body.Error, err)
	}
	if body.Total != nil {
		return *body.Total, nil
	}
	return len(body.Items), nil
}

func (s *scaleEnv) explain(ctx context.Context, st statement) (string, error) {
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+st.sql, st.args...)
	if err != nil {
		return "", fmt.Errorf("explain %q: %w", st.sql, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("explain %q: %w", st.sql, err)
	}
	return strings.Join(lines, "\n"), nil
}

// thousands writes n with comma separators, as the figures are written in
// docs/PERFORMANCE.md.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func txControl(sql string) bool {
	first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(sql)), " ")
	return first == "begin" || first == "commit" || first == "rollback"
}

// scanNodes lists how a plan reads its tables: the index scans by index
// name, and any sequential scan by table.
func scanNodes(plan string) []string {
	var out []string
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimLeft(strings.TrimSpace(line), "-> ")
		serial := strings.TrimPrefix(line, "Parallel ")
		for _, kind := range []string{"Index Only Scan", "Index Scan", "Bitmap Index Scan", "Seq Scan"} {
			if !strings.HasPrefix(serial, kind+" ") && !strings.HasPrefix(serial, kind+" Backward ") {
				continue
			}
			node, _, _ := strings.Cut(line, "  (")
			out = append(out, node)
			break
		}
	}
	return out
}

func (s *scaleEnv) close() error {
	var errs []error
	if s.api != nil {
		errs = append(errs, s.api.Close())
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.dropDB != nil {
		errs = append(errs, s.dropDB(context.Background()))
	}
	return errors.Join(errs...)
}

// statement is one SQL statement the product sent, with its arguments.
type statement struct {
	sql  string
	args []any
}

// sqlRecorder counts the product's statements and, while recording, keeps
// them, to be explained afterwards with the same arguments.
type sqlRecorder struct {
	n     atomic.Int64
	mu    sync.Mutex
	on    bool
	stmts []statement
}

func (r *sqlRecorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.stmts = append(r.stmts, statement{sql: d.SQL, args: d.Args})
	}
	return ctx
}

func (r *sqlRecorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// record turns recording on or off; turning it off returns what was kept.
func (r *sqlRecorder) record(on bool) []statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = on
	out := r.stmts
	r.stmts = nil
	return out
}
