package esl

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// commandBuckets span a reply on the same host (~100 µs) to CommandTimeout.
var commandBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// commandVerbs are the API verbs the client sends itself; they keep their
// name in the command label. API and BackgroundAPI take any command text,
// so every other verb is "other" and the label's values stay a fixed set.
var commandVerbs = map[string]bool{
	"originate": true, "status": true, "show": true, "hupall": true,
	"uuid_bridge": true, "uuid_transfer": true, "uuid_broadcast": true, "uuid_kill": true,
	"uuid_exists": true, "uuid_setvar": true, "uuid_getvar": true,
}

// commandMetrics times the commands sent over the connections of one
// client.
type commandMetrics struct {
	seconds *prometheus.HistogramVec
	wait    prometheus.Histogram
}

func newCommandMetrics() *commandMetrics {
	return &commandMetrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "esl_command_seconds",
			Help: "Time from sending an ESL command to its reply, by command (\"api <verb>\", \"bgapi <verb>\", \"event\", \"filter\"; " +
				"verbs the client does not send itself are \"other\"). A command that got no reply is not observed.",
			Buckets: commandBuckets,
		}, []string{"command"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "esl_command_wait_seconds",
			Help:    "Time an ESL command waited for its turn: a connection carries one command at a time, so it waits for the reply to the one before.",
			Buckets: commandBuckets,
		}),
	}
}

func (m *commandMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.seconds, m.wait}
}

// waited observes a command's wait for its turn.
func (m *commandMetrics) waited(d time.Duration) {
	m.wait.Observe(d.Seconds())
}

// replied observes the time from sending a command to its reply; what is
// exec's description of the command.
func (m *commandMetrics) replied(what string, d time.Duration) {
	m.seconds.WithLabelValues(commandLabel(what)).Observe(d.Seconds())
}

// commandLabel maps exec's description of a command ("api uuid_kill",
// "bgapi originate", "subscribe") to its command label.
func commandLabel(what string) string {
	kind, verb, _ := strings.Cut(what, " ")
	switch kind {
	case "subscribe":
		return "event"
	case "filter":
		return "filter"
	case "api", "bgapi":
		if commandVerbs[verb] {
			return what
		}
		return kind + " other"
	}
	return "other"
}
