package metrics

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// The Temporal SDK reports through client.MetricsHandler: counters, gauges
// and timers with free-form tags that differ between calls of the same
// metric. Prometheus wants one fixed label set per metric, so this adapter
// keeps the series itself and, at scrape time, fills tags a series lacks
// with "" (which Prometheus treats as absent). It is an unchecked
// collector: its metric set is only known once the SDK has reported.

// temporalBuckets cover SDK latencies from a cache hit to a long poll.
var temporalBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

var temporal = &sdkCollector{families: map[string]*sdkFamily{}}

// TemporalHandler is the client.MetricsHandler to pass to client.Options;
// every client in the process reports into the same registry.
func TemporalHandler() client.MetricsHandler { return sdkHandler{c: temporal} }

type sdkKind int

const (
	sdkCounter sdkKind = iota
	sdkGauge
	sdkTimer
)

type sdkCollector struct {
	mu       sync.Mutex
	families map[string]*sdkFamily
}

type sdkFamily struct {
	kind   sdkKind
	series map[string]*sdkSeries // by canonical label string
}

type sdkSeries struct {
	labels  map[string]string
	value   float64  // counter, gauge
	buckets []uint64 // timer: cumulative counts are computed at scrape
	count   uint64
	sum     float64
}

var invalidName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func promName(name string, kind sdkKind) string {
	n := invalidName.ReplaceAllString(name, "_")
	switch kind {
	case sdkCounter:
		if !strings.HasSuffix(n, "_total") {
			n += "_total"
		}
	case sdkTimer:
		n += "_seconds"
	}
	return n
}

// series finds or creates the series; callers hold no lock.
func (c *sdkCollector) series(name string, kind sdkKind, tags map[string]string) *sdkSeries {
	full := promName(name, kind)
	key := canonical(tags)
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.families[full]
	if f == nil {
		f = &sdkFamily{kind: kind, series: map[string]*sdkSeries{}}
		c.families[full] = f
	}
	s := f.series[key]
	if s == nil {
		s = &sdkSeries{labels: tags}
		if kind == sdkTimer {
			s.buckets = make([]uint64, len(temporalBuckets))
		}
		f.series[key] = s
	}
	return s
}

func canonical(tags map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(tags[k])
		b.WriteByte(0)
	}
	return b.String()
}

func (c *sdkCollector) inc(s *sdkSeries, d int64) {
	c.mu.Lock()
	s.value += float64(d)
	c.mu.Unlock()
}

func (c *sdkCollector) set(s *sdkSeries, v float64) {
	c.mu.Lock()
	s.value = v
	c.mu.Unlock()
}

func (c *sdkCollector) observe(s *sdkSeries, d time.Duration) {
	sec := d.Seconds()
	c.mu.Lock()
	defer c.mu.Unlock()
	s.count++
	s.sum += sec
	// Above the last bucket only count and sum (the +Inf bucket) grow.
	if i, _ := slices.BinarySearch(temporalBuckets, sec); i < len(temporalBuckets) {
		s.buckets[i]++
	}
}

// Describe sends nothing: the collector is unchecked.
func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, f := range c.families {
		labels := labelNames(f)
		desc := prometheus.NewDesc(name, "Temporal SDK metric.", labels, nil)
		for _, s := range f.series {
			values := make([]string, len(labels))
			for i, l := range labels {
				values[i] = s.labels[l]
			}
			ch <- f.metric(desc, s, values)
		}
	}
}

func (f *sdkFamily) metric(desc *prometheus.Desc, s *sdkSeries, values []string) prometheus.Metric {
	switch f.kind {
	case sdkCounter:
		return prometheus.MustNewConstMetric(desc, prometheus.CounterValue, s.value, values...)
	case sdkGauge:
		return prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, s.value, values...)
	}
	cumulative := map[float64]uint64{}
	var acc uint64
	for i, b := range temporalBuckets {
		acc += s.buckets[i]
		cumulative[b] = acc
	}
	return prometheus.MustNewConstHistogram(desc, s.count, s.sum, cumulative, values...)
}

// labelNames is the union of the family's tag keys, sorted.
func labelNames(f *sdkFamily) []string {
	set := map[string]bool{}
	for _, s := range f.series {
		for k := range s.labels {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// sdkHandler is one client.MetricsHandler view with its tags.
type sdkHandler struct {
	c    *sdkCollector
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	maps.Copy(merged, h.tags)
	for k, v := range tags {
		merged[invalidName.ReplaceAllString(k, "_")] = v
	}
	return sdkHandler{c: h.c, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	s := h.c.series(name, sdkCounter, h.tags)
	return counterFunc(func(d int64) { h.c.inc(s, d) })
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	s := h.c.series(name, sdkGauge, h.tags)
	return gaugeFunc(func(v float64) { h.c.set(s, v) })
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	s := h.c.series(name, sdkTimer, h.tags)
	return timerFunc(func(d time.Duration) { h.c.observe(s, d) })
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(d int64)          { f(d) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }
