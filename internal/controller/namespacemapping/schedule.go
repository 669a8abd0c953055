package namespacemapping

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

// minScheduleInterval is the shortest interval between scheduled syncs.
const minScheduleInterval = time.Minute

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// timing says when a mapping syncs next.
type timing struct {
	// due is set when a sync should run now.
	due bool
	// next is the time of the next sync after a sync now (zero: only on request).
	next time.Time
	// interval is the expected time between syncs, the RPO unit (zero for Manual).
	interval time.Duration
}

// parseSchedule validates the schedule and time zone of a Scheduled mapping.
func parseSchedule(spec *drv1.NamespaceMappingSpec) (cron.Schedule, *time.Location, error) {
	tz := spec.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, nil, fmt.Errorf("spec.timeZone %q is not a known IANA time zone: %v", tz, err)
	}
	s, err := cronParser.Parse(spec.CronSchedule())
	if err != nil {
		return nil, nil, fmt.Errorf("spec.schedule %q: %v", spec.CronSchedule(), err)
	}
	// Cron fields fire at most once a minute; @every can ask for more (cron rounds a negative or
	// sub-second interval up to one second). The CRD refuses such a value; this covers objects
	// stored before it did.
	if every, ok := s.(cron.ConstantDelaySchedule); ok && every.Delay < minScheduleInterval {
		return nil, nil, fmt.Errorf("spec.schedule %q fires more often than once a minute: use an @every duration of at least %s, or replicationMode Continuous",
			spec.CronSchedule(), minScheduleInterval)
	}
	return s, loc, nil
}

// computeTiming decides whether a sync is due at now, given the last sync. A run missed while the
// controller was down is due once: the first scheduled time after the last sync is in the past.
func computeTiming(spec *drv1.NamespaceMappingSpec, last *time.Time, now time.Time) (timing, error) {
	switch spec.Mode() {
	case drv1.ModeManual:
		return timing{}, nil
	case drv1.ModeContinuous:
		every := spec.ResyncEvery()
		if last == nil || !now.Before(last.Add(every)) {
			return timing{due: true, next: now.Add(every), interval: every}, nil
		}
		return timing{next: last.Add(every), interval: every}, nil
	}
	s, loc, err := parseSchedule(spec)
	if err != nil {
		return timing{}, err
	}
	next := s.Next(now.In(loc))
	t := timing{next: next, interval: s.Next(next).Sub(next)}
	if last == nil || !now.Before(s.Next(last.In(loc))) {
		t.due = true
		return t, nil
	}
	t.next = s.Next(last.In(loc))
	return t, nil
}
