package esl

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Channel is one row of "show channels as json". The command reads
// FreeSWITCH's core database, which can lag the events by a moment, and has
// no channel-variable columns: read those with GetVar.
type Channel struct {
	UUID      string
	Direction string // inbound or outbound (originated legs)
	Name      string // e.g. sofia/gateway/gw/15551234 or loopback/answer-30-a
	State     string // CS_EXECUTE, ...
	CallState string // RINGING, EARLY, ACTIVE, HELD, ...
	CallUUID  string
	Dest      string
	CIDName   string
	CIDNum    string
	// Application is the application running on the channel (e.g. park).
	Application     string
	ApplicationData string
	Context         string
	Hostname        string
	// Created is from created_epoch (whole seconds).
	Created time.Time
	// Fields holds every column as sent, for those not named above.
	Fields map[string]string
}

// Channels lists the switch's channels (show channels as json).
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	out, err := c.api(ctx, "show", "show channels as json")
	if err != nil {
		return nil, err
	}
	chans, err := parseChannels(out)
	if err != nil {
		return nil, fmt.Errorf("show channels as json: %w", err)
	}
	return chans, nil
}

// parseChannels reads {"row_count":N,"rows":[...]}. With no channels
// FreeSWITCH sends {"row_count": 0} without "rows".
func parseChannels(out string) ([]Channel, error) {
	var doc struct {
		RowCount *int                         `json:"row_count"`
		Rows     []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &doc); err != nil {
		return nil, fmt.Errorf("decode %q: %w", firstLine(out), err)
	}
	if doc.RowCount == nil {
		return nil, fmt.Errorf("no row_count in %q", firstLine(out))
	}
	if *doc.RowCount != len(doc.Rows) {
		return nil, fmt.Errorf("row_count %d but %d rows", *doc.RowCount, len(doc.Rows))
	}
	chans := make([]Channel, 0, len(doc.Rows))
	for _, row := range doc.Rows {
		f := make(map[string]string, len(row))
		for k, raw := range row {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = strings.Trim(string(raw), `"`)
				if s == "null" {
					s = ""
				}
			}
			f[k] = s
		}
		ch := Channel{
			UUID:            f["uuid"],
			Direction:       f["direction"],
			Name:            f["name"],
			State:           f["state"],
			CallState:       f["callstate"],
			CallUUID:        f["call_uuid"],
			Dest:            f["dest"],
			CIDName:         f["cid_name"],
			CIDNum:          f["cid_num"],
			Application:     f["application"],
			ApplicationData: f["application_data"],
			Context:         f["context"],
			Hostname:        f["hostname"],
			Fields:          f,
		}
		if sec, err := strconv.ParseInt(f["created_epoch"], 10, 64); err == nil && sec > 0 {
			ch.Created = time.Unix(sec, 0)
		}
		if ch.UUID == "" {
			return nil, fmt.Errorf("row without uuid: %v", f)
		}
		chans = append(chans, ch)
	}
	return chans, nil
}
