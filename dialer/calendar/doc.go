// Package calendar decides when a campaign may place calls: weekly periods of
// wall-clock time, special dates that replace them, and a validity range, all
// read in one timezone (or in a member's own, through Calendar.In).
//
// An instant is open when the wall clock it shows in the calendar's location
// (date D, time of day m) lies in a period of day D, so DST is never special
// cased: on a spring-forward day the skipped wall times simply never occur
// (a period inside the missing hour never opens, one that spans its start
// opens at the first wall time after the jump), and on a fall-back day the
// repeated wall times are open on both passes. NextOpen, NextClose and
// Openings are computed from this same definition by arithmetic on civil
// dates within each stretch of constant UTC offset, so they agree with IsOpen
// to the nanosecond.
package calendar
