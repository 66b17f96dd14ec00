package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/jsontime"
	"github.com/fsdialer/dialer/dialer/memberfile"
	"github.com/fsdialer/dialer/dialer/phone"
	"github.com/fsdialer/dialer/store"
)

// addBody is the batch form of an add: {"members": [...], "start": true}.
type addBody struct {
	Members []json.RawMessage `json:"members"`
	Start   bool              `json:"start"`
}

// addMembers adds one member (an object), several (an array), or a batch
// ({"members": [...], "start": bool}) to a campaign, all or none. With
// start (or ?start=true) a stopped, paused or finished campaign is then
// started.
func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := r.PathValue("name")
	c, err := s.campaign(ctx, name)
	if err != nil {
		return err
	}
	start := false
	if q := r.URL.Query().Get("start"); q != "" {
		if start, err = strconv.ParseBool(q); err != nil {
			return invalid("start", "query parameter %q: not a boolean", q)
		}
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	raws, prefix, batchStart, err := splitMembers(b)
	if err != nil {
		return err
	}
	start = start || batchStart
	if len(raws) == 0 {
		return invalid(prefix, "at least one member is required")
	}
	if len(raws) > s.opts.MaxMembers {
		return invalid(prefix, "%d members: at most %d in one request (use `dialer member import` for files)",
			len(raws), s.opts.MaxMembers)
	}
	ms, err := s.decodeMembers(ctx, c, raws, prefix)
	if err != nil {
		return err
	}
	ids, err := s.store.AddMembers(ctx, c.ID, ms)
	if err != nil {
		var fe *store.FieldError
		if errors.As(err, &fe) && prefix == "" {
			// A single member: its fields are named from the body's root.
			_, rest, _ := strings.Cut(fe.Field, ".")
			fe.Field = rest
		}
		return err
	}
	var run dialer.RunAfterAdd
	if start && c.State != dialer.StateRunning {
		if _, err := s.store.SetCampaignState(ctx, c.Name, dialer.StateRunning); err != nil {
			return fmt.Errorf("start campaign %s after adding members: %w", c.Name, err)
		}
		run = dialer.RunAfterAdd{Campaign: c.Name, Was: c.State, State: dialer.StateRunning}
	} else if run, err = s.store.MembersAdded(ctx, c.ID); err != nil {
		return err
	}
	body := map[string]any{"campaign": c.Name, "state": run.State, "added": len(ids), "ids": ids}
	addRunFields(body, run, "started")
	writeJSON(w, http.StatusCreated, body)
	return nil
}

// addRunFields tells an API client what adding members did to their
// campaign: startedKey true when that started it (start, or autostart),
// and a "warning" when they will not be dialed, saying what to run.
func addRunFields(body map[string]any, run dialer.RunAfterAdd, startedKey string) {
	if run.Started() {
		body[startedKey] = true
	}
	if w := run.Warning(); w != "" {
		body["warning"] = w
	}
}

// splitMembers reads the three forms of an add body and returns the raw
// members and the field prefix their errors are named under.
func splitMembers(b []byte) (raws []json.RawMessage, prefix string, start bool, err error) {
	trimmed := bytes.TrimSpace(b)
	switch trimmed[0] {
	case '[':
		if err := decodeStrict(trimmed, &raws, ""); err != nil {
			return nil, "", false, err
		}
		return raws, "", false, nil
	case '{':
	default:
		return nil, "", false, badRequest("", "the body must be a member object, an array of members, or {\"members\": [...]}")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, "", false, jsonError(err, "")
	}
	if _, ok := probe["members"]; !ok {
		return []json.RawMessage{trimmed}, "", false, nil
	}
	var body addBody
	if err := decodeStrict(trimmed, &body, ""); err != nil {
		return nil, "", false, err
	}
	return body.Members, "members", body.Start, nil
}

// decodeMembers validates members with the same rules as a member file
// (numbers to E.164 in the campaign's region, priority, timezone, expiry
// in the calendar's zone, variables) and names a bad one's field.
func (s *Server) decodeMembers(ctx context.Context, c *dialer.Campaign, raws []json.RawMessage, prefix string) ([]memberfile.Member, error) {
	loc := time.UTC
	if cal, err := s.store.CampaignCalendar(ctx, c.ID); err == nil && cal.Calendar.Location != nil {
		loc = cal.Calendar.Location
	}
	var lines bytes.Buffer
	for i, raw := range raws {
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, jsonError(err, memberField(prefix, i, len(raws)))
		}
		if len(compact.Bytes()) == 0 || compact.Bytes()[0] != '{' {
			return nil, invalid(memberField(prefix, i, len(raws)), "a member must be a JSON object")
		}
		lines.Write(compact.Bytes())
		lines.WriteByte('\n')
	}
	var out []memberfile.Member
	var bad *apiError
	_, err := memberfile.Decode(ctx, &lines, memberfile.JSONL, memberfile.Mapping{}, memberfile.Options{
		DefaultRegion: c.DefaultRegion, Location: loc, Workers: 1,
	}, func(batch []memberfile.Member) error {
		out = append(out, batch...)
		return nil
	}, func(re memberfile.RowError) error {
		if bad == nil {
			f := memberField(prefix, re.Line-1, len(raws))
			if re.Field != "" {
				f = joinField(f, re.Field)
			}
			bad = invalid(f, "%s", re.Reason)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// memberField names member i of a request: "" for a lone member posted as
// an object, "[i]" for an array, "members[i]" for a batch.
func memberField(prefix string, i, n int) string {
	if prefix == "" && n == 1 {
		return ""
	}
	return prefix + "[" + strconv.Itoa(i) + "]"
}

func joinField(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// memberView is a member with its attempts.
type memberView struct {
	*dialer.Member
	AttemptList []dialer.Attempt `json:"attempt_list"`
}

// MarshalJSON writes the member's fields and its attempts in one object
// (the member's own MarshalJSON, promoted, would drop the attempts).
func (v memberView) MarshalJSON() ([]byte, error) { return jsontime.Struct(v) }

func (s *Server) writeMember(w http.ResponseWriter, r *http.Request, m *dialer.Member) error {
	as, err := s.store.MemberAttempts(r.Context(), m.ID)
	if err != nil {
		return err
	}
	if as == nil {
		as = []dialer.Attempt{}
	}
	writeJSON(w, http.StatusOK, memberView{Member: m, AttemptList: as})
	return nil
}

func memberID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, invalid("id", "%q is not a member id", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) error {
	id, err := memberID(r)
	if err != nil {
		return err
	}
	m, err := s.store.Member(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no member %d", id)
	}
	if err != nil {
		return err
	}
	return s.writeMember(w, r, m)
}

// byKey finds a campaign's member by external key.
func (s *Server) byKey(r *http.Request) (*dialer.Member, error) {
	name, key := r.PathValue("name"), r.PathValue("key")
	c, err := s.campaign(r.Context(), name)
	if err != nil {
		return nil, err
	}
	m, err := s.store.MemberByKey(r.Context(), c.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("campaign %s has no member with external key %q", name, key)
	}
	return m, err
}

func (s *Server) getMemberByKey(w http.ResponseWriter, r *http.Request) error {
	m, err := s.byKey(r)
	if err != nil {
		return err
	}
	return s.writeMember(w, r, m)
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	id, err := memberID(r)
	if err != nil {
		return err
	}
	return s.delete(w, r, id)
}

func (s *Server) deleteMemberByKey(w http.ResponseWriter, r *http.Request) error {
	m, err := s.byKey(r)
	if err != nil {
		return err
	}
	return s.delete(w, r, m.ID)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, id int64) error {
	if err := s.store.DeleteMember(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("no member %d", id)
		}
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
	return nil
}

// resultBody is a member result as agent desktops post it.
type resultBody struct {
	Success            *bool           `json:"success"`
	ResetRetries       bool            `json:"reset_retries"`
	NextAfterSec       *int64          `json:"next_after_sec"`
	NextCommunication  string          `json:"next_communication"`
	StopCommunications json.RawMessage `json:"stop_communications"`
	Comment            string          `json:"comment"`
	Result             string          `json:"result"`
	SubStatus          string          `json:"sub_status"`
}

// maxNextAfter bounds next_after_sec: a year.
const maxNextAfter = 366 * 24 * 3600

func (s *Server) memberResult(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := memberID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var body resultBody
	if err := decodeStrict(b, &body, ""); err != nil {
		return err
	}
	if body.Success == nil && body.Result == "" {
		return invalid("success", "required: true or false, unless a result the campaign's result_policies know is given")
	}
	m, err := s.store.Member(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("no member %d", id)
	}
	if err != nil {
		return err
	}
	c, err := s.store.CampaignByID(ctx, m.CampaignID)
	if err != nil {
		return err
	}
	res := dialer.MemberResult{ResetRetries: body.ResetRetries}
	if err := resultByRule(c, body, &res); err != nil {
		return err
	}
	if body.NextAfterSec != nil {
		if *body.NextAfterSec < 0 || *body.NextAfterSec > maxNextAfter {
			return invalid("next_after_sec", "%d: must be 0..%d seconds", *body.NextAfterSec, maxNextAfter)
		}
		d := time.Duration(*body.NextAfterSec) * time.Second
		res.NextAfter = &d
	}
	if body.NextCommunication != "" {
		if res.NextNumber, err = normalize(body.NextCommunication, c.DefaultRegion, "next_communication"); err != nil {
			return err
		}
	}
	if res.StopNumbers, res.StopAll, err = stopList(body.StopCommunications, c.DefaultRegion); err != nil {
		return err
	}
	if len(body.Comment) > 4096 {
		return invalid("comment", "%d bytes: at most 4096", len(body.Comment))
	}
	res.Comment = body.Comment
	// A desktop often posts the result as the call ends, a moment before
	// the daemon records the end: wait a little for it.
	deadline := time.Now().Add(s.opts.CallWait)
	out, err := s.store.ApplyMemberResult(ctx, id, res)
	for errors.Is(err, store.ErrCalling) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		out, err = s.store.ApplyMemberResult(ctx, id, res)
	}
	if err != nil {
		return err
	}
	// A member due again in a campaign that does not run waits for ever
	// unless someone starts it: autostart does, or the client is told.
	run := dialer.RunAfterAdd{Campaign: c.Name, Was: c.State, State: c.State}
	if out.State == dialer.MemberWaiting {
		if run, err = s.store.MembersAdded(ctx, c.ID); err != nil {
			return err
		}
	}
	resp, err := objectFields(out)
	if err != nil {
		return fmt.Errorf("encode the result of member %d: %w", id, err)
	}
	resp["campaign_state"] = run.State
	if out.State == dialer.MemberWaiting {
		addRunFields(resp, run, "campaign_started")
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// objectFields is v, which encodes as a JSON object, as its fields, so
// that more can be added to the response.
func objectFields(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields))
	for k, f := range fields {
		out[k] = f
	}
	return out, nil
}

// stopList reads stop_communications: an array of numbers or "all".
func stopList(raw json.RawMessage, region string) ([]string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	var all string
	if err := json.Unmarshal(raw, &all); err == nil {
		if all != "all" {
			return nil, false, invalid("stop_communications", "%q: an array of numbers or \"all\"", all)
		}
		return nil, true, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, false, invalid("stop_communications", "an array of numbers or \"all\"")
	}
	out := make([]string, len(list))
	for i, n := range list {
		e164, err := normalize(n, region, "stop_communications["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, false, err
		}
		out[i] = e164
	}
	return out, false, nil
}

func normalize(number, region, field string) (string, error) {
	e164, err := phone.Normalize(number, region)
	if err != nil {
		return "", invalid(field, "%q: %v", number, err)
	}
	return e164, nil
}
