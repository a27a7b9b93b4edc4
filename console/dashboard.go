package console

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// The dashboard draws its charts as SVG on the server: no chart library to
// vendor or keep up, nothing for the browser to run, and the figures come
// from the same store reads as GET /dashboard/api/admin-stats and
// admin-clicks, one day at a time.

const (
	dashboardDays = 14
	chartW        = 560
	chartH        = 160
	chartLeft     = 40 // room for the axis labels
	chartBottom   = 20
)

// statusColors colour each status; final failures are red, paid green.
var statusColors = map[payout.Status]string{
	payout.StatusAwaitingApproval: "#d4a72c", payout.StatusRequested: "#8c959f", payout.StatusAwaitingFunds: "#bf8700",
	payout.StatusSubmitted: "#54aeff", payout.StatusProcessing: "#0969da", payout.StatusVerifying: "#8250df",
	payout.StatusPaid: "#1a7f37", payout.StatusFailed: "#cf222e", payout.StatusRejected: "#a40e26",
	payout.StatusCancelled: "#6e7781", payout.StatusExpired: "#953800",
}

var palette = []string{"#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#57606a", "#e16f24", "#1b7c83"}

// bar is one rectangle of a chart, with what a tooltip says of it.
type bar struct {
	X, Y, W, H int
	Fill       string
	Title      string
}

type point struct{ X, Y int }

type series struct {
	Name   string
	Stroke string
	Points string // SVG polyline points
	Dots   []point
}

type axisLabel struct {
	X, Y int
	Text string
}

type chart struct {
	ID, Title   string
	Width       int
	Height      int
	Bars        []bar
	Lines       []series
	Labels      []axisLabel
	Legend      []legendItem
	Empty       bool
	TableHeader []string
	TableRows   [][]string
}

type legendItem struct{ Name, Color string }

type dayStats struct {
	Day   time.Time
	Stats store.Stats
}

type dashboardData struct {
	Charts []chart
	Assets []assetRow
	Since  time.Time
}

type assetRow struct {
	Asset  string
	Count  int64
	Amount decimal.Decimal
}

func (c *console) dashboard(w http.ResponseWriter, r *http.Request) {
	today := c.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(dashboardDays - 1))
	days := make([]dayStats, 0, dashboardDays)
	for d := since; !d.After(today); d = d.AddDate(0, 0, 1) {
		st, err := c.Store.Stats(r.Context(), d, d.AddDate(0, 0, 1))
		if err != nil {
			c.fail(w, r, "compute the statistics", err)
			return
		}
		days = append(days, dayStats{Day: d, Stats: st})
	}
	clicks, err := c.Store.AdminClicks(r.Context(), since, today.AddDate(0, 0, 1))
	if err != nil {
		c.fail(w, r, "count the admins' actions", err)
		return
	}
	d := dashboardData{Since: since, Assets: assetTotals(days), Charts: []chart{
		statusChart(days), successChart(days), timeChart(days), activityChart(days, clicks),
	}}
	c.render(w, r, http.StatusOK, "dashboard", page{Title: "Dashboard", Nav: "dashboard", Data: d})
}

func dayLabels(days []dayStats, slot int) []axisLabel {
	var out []axisLabel
	for i, d := range days {
		if (len(days)-1-i)%3 == 0 {
			out = append(out, axisLabel{X: chartLeft + i*slot + slot/2, Y: chartH + 14, Text: d.Day.Format("01-02")})
		}
	}
	return out
}

func newChart(id, title string) chart {
	return chart{ID: id, Title: title, Width: chartLeft + chartW, Height: chartH + chartBottom + 8}
}

func (ch *chart) yAxis(max, unit string) {
	ch.Labels = append(ch.Labels, axisLabel{X: chartLeft - 4, Y: 10, Text: max + unit}, axisLabel{X: chartLeft - 4, Y: chartH, Text: "0"})
}

// statusChart stacks each day's payouts by status.
func statusChart(days []dayStats) chart {
	ch := newChart("chart-status", "Payouts by status per day")
	slot := chartW / len(days)
	var max int64
	for _, d := range days {
		var n int64
		for _, t := range d.Stats.Totals {
			n += t.Count
		}
		max = maxOf(max, n)
	}
	ch.Empty = max == 0
	seen := map[payout.Status]bool{}
	ch.TableHeader = []string{"day", "status", "payouts"}
	for i, d := range days {
		byStatus := map[payout.Status]int64{}
		for _, t := range d.Stats.Totals {
			byStatus[t.Status] += t.Count
		}
		y := chartH
		for _, s := range payout.Statuses {
			n := byStatus[s]
			if n == 0 || max == 0 {
				continue
			}
			seen[s] = true
			h := int(n * chartH / max)
			y -= h
			ch.Bars = append(ch.Bars, bar{X: chartLeft + i*slot + 2, Y: y, W: slot - 4, H: h, Fill: statusColors[s],
				Title: d.Day.Format("2006-01-02") + ": " + strconv.FormatInt(n, 10) + " " + string(s)})
			ch.TableRows = append(ch.TableRows, []string{d.Day.Format("2006-01-02"), string(s), strconv.FormatInt(n, 10)})
		}
	}
	for _, s := range payout.Statuses {
		if seen[s] {
			ch.Legend = append(ch.Legend, legendItem{Name: string(s), Color: statusColors[s]})
		}
	}
	ch.yAxis(strconv.FormatInt(max, 10), "")
	ch.Labels = append(ch.Labels, dayLabels(days, slot)...)
	return ch
}

// successChart is each day's paid share of the payouts that reached a
// final status.
func successChart(days []dayStats) chart {
	ch := newChart("chart-success", "Success rate per day (paid of final)")
	slot := chartW / len(days)
	s := series{Name: "success rate", Stroke: "#1a7f37"}
	ch.TableHeader = []string{"day", "paid", "final", "success rate"}
	for i, d := range days {
		var paid, final int64
		for _, t := range d.Stats.Totals {
			if t.Status == payout.StatusPaid {
				paid += t.Count
			}
			if t.Status.Final() {
				final += t.Count
			}
		}
		if final == 0 {
			continue
		}
		p := point{X: chartLeft + i*slot + slot/2, Y: chartH - int(paid*chartH/final)}
		s.Dots = append(s.Dots, p)
		rate := decimal.NewFromInt(paid).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(final), 1)
		ch.TableRows = append(ch.TableRows, []string{d.Day.Format("2006-01-02"), strconv.FormatInt(paid, 10),
			strconv.FormatInt(final, 10), rate.String() + "%"})
	}
	s.Points = polyline(s.Dots)
	ch.Empty = len(s.Dots) == 0
	ch.Lines = []series{s}
	ch.Legend = []legendItem{{Name: s.Name, Color: s.Stroke}}
	ch.yAxis("100", "%")
	ch.Labels = append(ch.Labels, dayLabels(days, slot)...)
	return ch
}

// timeChart is each day's p50 and p95 seconds from request to final.
func timeChart(days []dayStats) chart {
	ch := newChart("chart-time", "Time to final per day, p50 and p95 (seconds)")
	slot := chartW / len(days)
	max := decimal.Zero
	for _, d := range days {
		if d.Stats.P95Seconds.Valid {
			max = decimal.Max(max, d.Stats.P95Seconds.Decimal)
		}
		if d.Stats.P50Seconds.Valid {
			max = decimal.Max(max, d.Stats.P50Seconds.Decimal)
		}
	}
	p50 := series{Name: "p50", Stroke: "#0969da"}
	p95 := series{Name: "p95", Stroke: "#cf222e"}
	ch.TableHeader = []string{"day", "p50 s", "p95 s"}
	height := decimal.NewFromInt(chartH)
	at := func(v decimal.NullDecimal, i int) (point, bool) {
		if !v.Valid || max.IsZero() {
			return point{}, false
		}
		return point{X: chartLeft + i*slot + slot/2, Y: chartH - int(v.Decimal.Mul(height).Div(max).IntPart())}, true
	}
	for i, d := range days {
		if p, ok := at(d.Stats.P50Seconds, i); ok {
			p50.Dots = append(p50.Dots, p)
		}
		if p, ok := at(d.Stats.P95Seconds, i); ok {
			p95.Dots = append(p95.Dots, p)
		}
		if d.Stats.P50Seconds.Valid {
			ch.TableRows = append(ch.TableRows, []string{d.Day.Format("2006-01-02"),
				d.Stats.P50Seconds.Decimal.Round(1).String(), d.Stats.P95Seconds.Decimal.Round(1).String()})
		}
	}
	p50.Points, p95.Points = polyline(p50.Dots), polyline(p95.Dots)
	ch.Empty = len(p50.Dots) == 0
	ch.Lines = []series{p95, p50}
	ch.Legend = []legendItem{{Name: "p50", Color: p50.Stroke}, {Name: "p95", Color: p95.Stroke}}
	ch.yAxis(max.Round(1).String(), "s")
	ch.Labels = append(ch.Labels, dayLabels(days, slot)...)
	return ch
}

// activityChart stacks each day's admin actions by admin.
func activityChart(days []dayStats, clicks []store.AdminClick) chart {
	ch := newChart("chart-activity", "Admin activity per day (actions)")
	slot := chartW / len(days)
	perDay := map[time.Time]map[string]int64{}
	var admins []string
	for _, c := range clicks {
		day := c.Day.UTC()
		if perDay[day] == nil {
			perDay[day] = map[string]int64{}
		}
		perDay[day][c.Admin] += c.Count
		if !slices.Contains(admins, c.Admin) {
			admins = append(admins, c.Admin)
		}
	}
	slices.Sort(admins)
	color := map[string]string{}
	for i, a := range admins {
		color[a] = palette[i%len(palette)]
		ch.Legend = append(ch.Legend, legendItem{Name: a, Color: color[a]})
	}
	var max int64
	for _, m := range perDay {
		var n int64
		for _, v := range m {
			n += v
		}
		max = maxOf(max, n)
	}
	ch.Empty = max == 0
	ch.TableHeader = []string{"day", "admin", "actions"}
	for i, d := range days {
		y := chartH
		for _, a := range admins {
			n := perDay[d.Day][a]
			if n == 0 {
				continue
			}
			h := int(n * chartH / max)
			y -= h
			ch.Bars = append(ch.Bars, bar{X: chartLeft + i*slot + 2, Y: y, W: slot - 4, H: h, Fill: color[a],
				Title: d.Day.Format("2006-01-02") + ": " + a + " " + strconv.FormatInt(n, 10)})
			ch.TableRows = append(ch.TableRows, []string{d.Day.Format("2006-01-02"), a, strconv.FormatInt(n, 10)})
		}
	}
	ch.yAxis(strconv.FormatInt(max, 10), "")
	ch.Labels = append(ch.Labels, dayLabels(days, slot)...)
	return ch
}

// assetTotals are the period's payouts and amounts per asset (amounts of
// different assets are never added).
func assetTotals(days []dayStats) []assetRow {
	sums := map[string]*assetRow{}
	for _, d := range days {
		for _, t := range d.Stats.Totals {
			if sums[t.Asset] == nil {
				sums[t.Asset] = &assetRow{Asset: t.Asset}
			}
			sums[t.Asset].Count += t.Count
			sums[t.Asset].Amount = sums[t.Asset].Amount.Add(t.Amount)
		}
	}
	out := make([]assetRow, 0, len(sums))
	for _, a := range sums {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b assetRow) int {
		if a.Asset < b.Asset {
			return -1
		}
		if a.Asset > b.Asset {
			return 1
		}
		return 0
	})
	return out
}

func polyline(ps []point) string {
	var b []byte
	for i, p := range ps {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(p.X), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(p.Y), 10)
	}
	return string(b)
}

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
