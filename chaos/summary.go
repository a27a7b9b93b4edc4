package chaos

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// Summary is the run's figures, printed as a table at the end.
type Summary struct {
	Seed        int64
	Payouts     int // single payouts and campaign rows
	Campaign    CampaignSummary
	Report      Report
	Load        LoadResult
	Client      ClientStats
	Monkeys     MonkeyStats
	Worker, API ProcStats // added up over the instances
	Instances   int       // of the api and of the worker
	// TemporalPersistence: the dev server's SQLite file, or PostgreSQL.
	TemporalPersistence string
	DBDropped           int64  // connections reset by the proxy
	Inbox               [2]int // webhooks stored by the API, of which not marked processed
	Sandbox             sandbox.Stats
	Reconcile           RunResult
	Events              EventsSummary
	Chaos               time.Duration // faults on
	Settle              time.Duration // faults off, until final
	Total               time.Duration
}

// CampaignSummary is what became of the campaign posted during the load.
type CampaignSummary struct {
	Rows, Failing int
	Posted        CampaignResult
	Final         BatchView
}

// Print writes the table.
func (s Summary) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(name string, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\t\n", name, fmt.Sprintf(format, args...))
	}
	r, m, st := s.Report, s.Monkeys, s.Sandbox
	row("seed", "%d", s.Seed)
	row("payouts", "%d (paid %d, failed %d)", s.Payouts, r.Paid, r.Failed)
	if c := s.Campaign; c.Rows > 0 {
		row("campaign", "%d rows (forced to fail %d), accepted after %d requests (replayed %v); state %s, not started %d, final %d",
			c.Rows, c.Failing, c.Posted.Attempts, c.Posted.Replayed, c.Final.State, c.Final.NotStarted, c.Final.Final)
	}
	row("requests sent", "%d (transport errors %d, 5xx %d)", s.Client.Attempts, s.Client.TransportErrors, s.Client.ServerErrors)
	row("duplicates sent", "%d (concurrent %d)", s.Load.DuplicatesSent, s.Load.ConcurrentDups)
	row("instances", "%d api, %d worker", s.Instances, s.Instances)
	row("worker kill -9", "%d (between create and record %d)", m.WorkerKills+m.KillsAfterCreate, m.KillsAfterCreate)
	row("worker SIGTERM", "%d", m.WorkerTerms)
	row("worker starts / own exits", "%d / %d", s.Worker.Starts, s.Worker.Crashes)
	row("API restarts", "%d (kill -9 %d, SIGTERM %d)", m.APIKills+m.APITerms, m.APIKills, m.APITerms)
	row("API starts / own exits", "%d / %d", s.API.Starts, s.API.Crashes)
	row("DB connection cuts", "%d (connections reset %d)", m.DBCuts, s.DBDropped)
	row("Postgres restarts (-m immediate)", "%d", m.PostgresRestarts)
	row("Temporal server kill -9", "%d (restarted on its persistence: %s)", m.TemporalKills, s.TemporalPersistence)
	row("restarts failed, left to the next", "%d", m.FailedRestarts)
	row("latency spikes", "%d", m.LatencySpikes)
	for _, f := range []string{sandbox.FaultServerError, sandbox.FaultRateLimit, sandbox.FaultTimeout,
		sandbox.FaultLostResponse, sandbox.FaultLatency, sandbox.FaultWebhookDrop, sandbox.FaultWebhookDup, sandbox.FaultWebhookReorder} {
		row("sandbox fault "+f, "%d", st.FaultsInjected[f])
	}
	row("Heleket calls", "%v", st.Calls)
	row("webhooks sent / delivered", "%d / %d (dropped %d, duplicated %d)", st.WebhooksSent, st.WebhooksDelivered,
		st.WebhooksDropped, st.WebhooksDuplicated)
	row("webhook inbox", "%d stored (not marked processed %d)", s.Inbox[0], s.Inbox[1])
	row("Heleket creates", "%d (idempotent repeats %d)", st.Creates, st.IdempotentRepeats)
	row("audit rows", "%d", r.AuditRows)
	row("outbound events", "%d received (redelivered %d, refused by the receiver %d, bad signatures %d)",
		s.Events.Unique, s.Events.Duplicates, s.Events.Refused, s.Events.BadSignatures)
	row("reconciliation", "%s (discrepancies %d, failed payouts %d)", s.Reconcile.Status,
		len(s.Reconcile.Discrepancies), s.Reconcile.Counts.FailedPayouts)
	row("duplicates found", "%d", r.Duplicates)
	row("lost", "%d", r.Lost)
	row("violations", "%d", len(r.Violations))
	row("elapsed", "%s (chaos %s, settle %s)", s.Total.Round(time.Second), s.Chaos.Round(time.Second), s.Settle.Round(time.Second))
	_ = tw.Flush()
}
