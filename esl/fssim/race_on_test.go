//go:build race

package fssim_test

const raceEnabled = true
