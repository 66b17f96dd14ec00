package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/dialer/webhook"
	"github.com/fsdialer/dialer/esl"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the engine's and the webhook deliverer's Observer and the
// collectors of the engine's live figures.
type metrics struct {
	originates *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	answered   *prometheus.CounterVec
	abandoned  *prometheus.CounterVec
	claim      prometheus.Histogram
	connect    *prometheus.HistogramVec
	outbox     *prometheus.GaugeVec
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		originates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialer_originates_total", Help: "Originates handed to FreeSWITCH (customer and agent legs), by campaign.",
		}, []string{"campaign"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialer_attempts_total", Help: "Attempts that ended, by campaign, class and cause.",
		}, []string{"campaign", "class", "cause"}),
		answered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialer_answered_total", Help: "Attempts that ended after the customer answered, by campaign.",
		}, []string{"campaign"}),
		abandoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialer_abandoned_total", Help: "Answered customers no agent took (ABANDONED), by campaign.",
		}, []string{"campaign"}),
		claim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dialer_store_claim_seconds", Help: "Time of one claim of due members: query, checks, recording transaction.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}),
		connect: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dialer_connect_seconds", Help: "An answered customer's wait for an agent, from the answer to the bridge, by campaign.",
			Buckets: []float64{.025, .05, .1, .2, .3, .5, 1, 1.5, 2, 3, 5, 10, 30},
		}, []string{"campaign"}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dialer_webhook_outbox", Help: "Callback events in the outbox: pending (still owed) and dead (given up, waiting for a redrive).",
		}, []string{"state"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialer_webhook_deliveries_total", Help: "Callback delivery tries, by result: delivered (2xx), failed (retried later), dead (last try).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.originates, m.attempts, m.answered, m.abandoned, m.claim, m.connect, m.outbox, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Every series exists from the start, so that rates and alerts over
	// them are defined before the first callback.
	for _, state := range []dialer.CallbackState{dialer.CallbackPending, dialer.CallbackDead} {
		m.outbox.WithLabelValues(string(state))
	}
	for _, r := range []webhook.Result{webhook.Delivered, webhook.Failed, webhook.Dead} {
		m.deliveries.WithLabelValues(string(r))
	}
	return m, nil
}

// Originated counts an originate, and makes the campaign's answer and
// abandon series exist (at 0) so that rates over them are defined.
func (m *metrics) Originated(campaign string) {
	m.originates.WithLabelValues(campaign).Inc()
	m.answered.WithLabelValues(campaign)
	m.abandoned.WithLabelValues(campaign)
}

// AttemptEnded counts an attempt's end.
func (m *metrics) AttemptEnded(campaign, cause, class string, answered bool) {
	m.attempts.WithLabelValues(campaign, class, cause).Inc()
	if answered {
		m.answered.WithLabelValues(campaign).Inc()
	}
	if cause == "ABANDONED" {
		m.abandoned.WithLabelValues(campaign).Inc()
	}
}

// Connected observes a customer's wait for its agent.
func (m *metrics) Connected(campaign string, wait time.Duration) {
	m.connect.WithLabelValues(campaign).Observe(wait.Seconds())
}

// Claimed observes a claim's duration.
func (m *metrics) Claimed(d time.Duration) { m.claim.Observe(d.Seconds()) }

// CallbackTried counts a callback delivery try.
func (m *metrics) CallbackTried(r webhook.Result) { m.deliveries.WithLabelValues(string(r)).Inc() }

// CallbackOutbox sets the outbox's depth.
func (m *metrics) CallbackOutbox(c dialer.CallbackCounts) {
	m.outbox.WithLabelValues(string(dialer.CallbackPending)).Set(float64(c.Pending))
	m.outbox.WithLabelValues(string(dialer.CallbackDead)).Set(float64(c.Dead))
}

// liveCollector reports the engine's snapshot: calls in progress and lines
// by campaign, agents by state.
type liveCollector struct {
	eng                       *engine.Engine
	inProgress, lines, agents *prometheus.Desc
}

func newLiveCollector(eng *engine.Engine) *liveCollector {
	return &liveCollector{
		eng: eng,
		inProgress: prometheus.NewDesc("dialer_calls_in_progress", "Calls in progress (lines in use), by campaign.",
			[]string{"campaign"}, nil),
		lines:  prometheus.NewDesc("dialer_lines_limit", "The campaign's limit on lines in use.", []string{"campaign"}, nil),
		agents: prometheus.NewDesc("dialer_agents", "Agents by state.", []string{"state"}, nil),
	}
}

// Describe sends the descriptors.
func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inProgress
	ch <- c.lines
	ch <- c.agents
}

// Collect reads the engine's last snapshot.
func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.eng.Snapshot()
	for _, cs := range s.Campaigns {
		ch <- prometheus.MustNewConstMetric(c.inProgress, prometheus.GaugeValue, float64(cs.InFlight), cs.Name)
		ch <- prometheus.MustNewConstMetric(c.lines, prometheus.GaugeValue, float64(cs.MaxLines), cs.Name)
	}
	for _, state := range dialer.AgentStates {
		ch <- prometheus.MustNewConstMetric(c.agents, prometheus.GaugeValue, float64(s.Agents[state]), string(state))
	}
}

// serveHTTP serves the API (/v1/..., /openapi.json), /metrics, /healthz
// (the process is up) and /readyz (the ESL connection is up) on the
// listener until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, reg *prometheus.Registry, client switchConn, api http.Handler, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("GET /openapi.json", api)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s, err := client.State(); s != esl.StateConnected {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("esl " + s.String() + ": " + errText(err) + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("http listening", "addr", ln.Addr().String())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
