package esl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Job is a background job (bgapi) waiting for its BACKGROUND_JOB event.
// Jobs outlive connections: FreeSWITCH broadcasts BACKGROUND_JOB to every
// subscribed connection, so a result produced after a reconnect still
// arrives.
type Job struct {
	// ID is the Job-UUID the client chose.
	ID string
	// Command is the command line after "bgapi ".
	Command string

	started time.Time
	done    chan struct{}
	once    sync.Once
	res     JobResult
	err     error
}

// JobResult is a BACKGROUND_JOB's outcome.
type JobResult struct {
	// JobUUID is the job's ID.
	JobUUID string
	// OK is true for a "+OK" body.
	OK bool
	// UUID is the word after "+OK", the channel's uuid for originate.
	UUID string
	// Cause is the word after "-ERR", e.g. USER_BUSY; for other failures
	// ("-USAGE ...") the whole first line.
	Cause string
	// Body is the job's output.
	Body string
	// Event is the BACKGROUND_JOB event.
	Event Event
}

// Err returns a *ReplyError for a failed job, else nil.
func (r JobResult) Err() error {
	if r.OK {
		return nil
	}
	name, _, _ := strings.Cut(r.Event.Header("Job-Command"), " ")
	if name == "" {
		name = "bgapi"
	}
	return &ReplyError{Command: name, Reply: firstLine(r.Body)}
}

// parseJobBody reads "+OK <uuid>\n", "-ERR <CAUSE>\n" or anything else.
func parseJobBody(body string) (ok bool, uuid, cause string) {
	line := firstLine(body)
	switch {
	case strings.HasPrefix(line, "+OK"):
		f := strings.Fields(strings.TrimPrefix(line, "+OK"))
		if len(f) > 0 {
			uuid = f[0]
		}
		return true, uuid, ""
	case strings.HasPrefix(line, "-ERR"):
		f := strings.Fields(strings.TrimPrefix(line, "-ERR"))
		if len(f) > 0 {
			return false, "", f[0]
		}
		return false, "", "UNKNOWN"
	}
	return false, "", line
}

// Done is closed when the result (or an error) is known.
func (j *Job) Done() <-chan struct{} { return j.done }

// Result returns the outcome once Done is closed. The error is ErrJobLost,
// ErrClosed or nil; a -ERR job is a result with OK false (see
// JobResult.Err), not an error.
func (j *Job) Result() (JobResult, error) {
	select {
	case <-j.done:
		return j.res, j.err
	default:
		return JobResult{}, fmt.Errorf("job %s: result not ready", j.ID)
	}
}

// Wait waits for the result.
func (j *Job) Wait(ctx context.Context) (JobResult, error) {
	select {
	case <-j.done:
		return j.res, j.err
	case <-ctx.Done():
		return JobResult{}, fmt.Errorf("wait for job %s: %w", j.ID, ctx.Err())
	}
}

func (j *Job) finish(res JobResult, err error) {
	j.once.Do(func() {
		j.res, j.err = res, err
		close(j.done)
	})
}

// jobRegistry maps Job-UUIDs to waiting jobs. Jobs whose result never came
// are failed by sweep, which runs on the supervisor's tick and on register.
type jobRegistry struct {
	timeout time.Duration

	mu        sync.Mutex
	jobs      map[string]*Job
	nextSweep time.Time
}

func newJobRegistry(timeout time.Duration) *jobRegistry {
	return &jobRegistry{timeout: timeout, jobs: make(map[string]*Job)}
}

func (r *jobRegistry) register(id, cmd string, now time.Time) *Job {
	j := &Job{ID: id, Command: cmd, started: now, done: make(chan struct{})}
	r.mu.Lock()
	r.jobs[id] = j
	sweep := !now.Before(r.nextSweep)
	r.mu.Unlock()
	if sweep {
		r.sweep(now)
	}
	return j
}

func (r *jobRegistry) forget(id string) {
	r.mu.Lock()
	delete(r.jobs, id)
	r.mu.Unlock()
}

// resolve finishes the job a BACKGROUND_JOB event belongs to, if any.
func (r *jobRegistry) resolve(e Event) {
	r.mu.Lock()
	j := r.jobs[e.JobUUID]
	delete(r.jobs, e.JobUUID)
	r.mu.Unlock()
	if j == nil {
		return
	}
	ok, uuid, cause := parseJobBody(e.Body)
	j.finish(JobResult{JobUUID: e.JobUUID, OK: ok, UUID: uuid, Cause: cause, Body: e.Body, Event: e}, nil)
}

// sweep fails the jobs older than the timeout.
func (r *jobRegistry) sweep(now time.Time) {
	var lost []*Job
	r.mu.Lock()
	if now.Before(r.nextSweep) {
		r.mu.Unlock()
		return
	}
	r.nextSweep = now.Add(r.timeout / 8)
	for id, j := range r.jobs {
		if now.Sub(j.started) >= r.timeout {
			lost = append(lost, j)
			delete(r.jobs, id)
		}
	}
	r.mu.Unlock()
	for _, j := range lost {
		j.finish(JobResult{JobUUID: j.ID}, fmt.Errorf("job %s (%s): %w", j.ID, firstLine(j.Command), ErrJobLost))
	}
}

func (r *jobRegistry) failAll(err error) {
	r.mu.Lock()
	jobs := r.jobs
	r.jobs = make(map[string]*Job)
	r.mu.Unlock()
	for _, j := range jobs {
		j.finish(JobResult{JobUUID: j.ID}, fmt.Errorf("job %s: %w", j.ID, err))
	}
}
