package main

import (
	"context"

	"github.com/fsdialer/dialer/dialer"
	"github.com/fsdialer/dialer/dialer/engine"
	"github.com/fsdialer/dialer/esl"
)

// switchSubclasses are the CUSTOM events the adapter reads: mod_avmd's
// beep, the verdict of answering-machine detection. FreeSWITCH sends it
// twice, bare and then with the channel's variables; switchFilters keep
// only the second, and the engine takes one verdict per call anyway.
var switchSubclasses = []string{"avmd::beep"}

// avmdUpdate turns a followed call's beep into the engine's verdict.
func avmdUpdate(a esl.AVMDEvent) (engine.Update, bool) {
	if a.Kind != esl.AVMDBeep {
		return engine.Update{}, false
	}
	return engine.Update{Kind: engine.CallChanged, UUID: a.UUID, Machine: dialer.AMDMachine}, true
}

// StartAMD starts mod_avmd on a channel.
func (s *eslSwitch) StartAMD(ctx context.Context, uuid string) error { return s.c.StartAVMD(ctx, uuid) }

// StopAMD stops mod_avmd on a channel.
func (s *eslSwitch) StopAMD(ctx context.Context, uuid string) error { return s.c.StopAVMD(ctx, uuid) }

// Transfer sends a channel into the dialplan.
func (s *eslSwitch) Transfer(ctx context.Context, uuid, extension, dialplan, dpContext string) error {
	return s.c.Transfer(ctx, uuid, extension, dialplan, dpContext)
}

// GetVar reads a channel variable.
func (s *eslSwitch) GetVar(ctx context.Context, uuid, name string) (string, error) {
	return s.c.GetVar(ctx, uuid, name)
}
