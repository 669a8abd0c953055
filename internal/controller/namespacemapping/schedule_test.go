package namespacemapping

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	drv1 "github.com/dr-syncer/dr-syncer/api/v1alpha1"
)

func TestComputeTiming(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 7, 30, 0, time.UTC)
	at := func(h, m int) *time.Time { v := time.Date(2026, 11, 26, h, m, 0, 0, time.UTC); return &v }
	cases := []struct {
		name     string
		spec     drv1.NamespaceMappingSpec
		last     *time.Time
		due      bool
		next     time.Time
		interval time.Duration
	}{
		{"scheduled never synced", drv1.NamespaceMappingSpec{}, nil, true, *at(10, 10), 5 * time.Minute},
		{"scheduled not yet due", drv1.NamespaceMappingSpec{}, at(10, 6), false, *at(10, 10), 5 * time.Minute},
		{"scheduled due", drv1.NamespaceMappingSpec{}, at(10, 4), true, *at(10, 10), 5 * time.Minute},
		{"scheduled missed long ago runs once", drv1.NamespaceMappingSpec{Schedule: "@hourly"}, at(1, 0), true, *at(11, 0), time.Hour},
		{"every", drv1.NamespaceMappingSpec{Schedule: "@every 2m"}, at(10, 5), true, now.Add(2 * time.Minute), 2 * time.Minute},
		{"every minute", drv1.NamespaceMappingSpec{Schedule: "@every 1m"}, at(10, 5), true, now.Add(time.Minute), time.Minute},
		{"cron every minute", drv1.NamespaceMappingSpec{Schedule: "* * * * *"}, at(10, 5), true, *at(10, 8), time.Minute},
		{"manual", drv1.NamespaceMappingSpec{ReplicationMode: drv1.ModeManual}, nil, false, time.Time{}, 0},
		{"continuous resync due", drv1.NamespaceMappingSpec{ReplicationMode: drv1.ModeContinuous, Continuous: drv1.ContinuousConfig{ResyncInterval: &metav1.Duration{Duration: time.Minute}}}, at(10, 6), true, now.Add(time.Minute), time.Minute},
		{"continuous resync not due", drv1.NamespaceMappingSpec{ReplicationMode: drv1.ModeContinuous, Continuous: drv1.ContinuousConfig{ResyncInterval: &metav1.Duration{Duration: time.Hour}}}, at(10, 6), false, at(10, 6).Add(time.Hour), time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := computeTiming(&c.spec, c.last, now)
			if err != nil {
				t.Fatal(err)
			}
			if got.due != c.due || !got.next.Equal(c.next) || got.interval != c.interval {
				t.Fatalf("got due=%v next=%v interval=%v, want due=%v next=%v interval=%v", got.due, got.next, got.interval, c.due, c.next, c.interval)
			}
		})
	}
}

func TestComputeTimingTimeZone(t *testing.T) {
	spec := drv1.NamespaceMappingSpec{Schedule: "0 2 * * *", TimeZone: "Europe/Berlin"}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	last := now.Add(-time.Minute)
	got, err := computeTiming(&spec, &last, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC); !got.next.Equal(want) {
		t.Fatalf("next = %v, want %v (02:00 Berlin is 01:00 UTC in winter)", got.next.UTC(), want)
	}
}

func TestComputeTimingInvalid(t *testing.T) {
	for _, c := range []struct {
		spec drv1.NamespaceMappingSpec
		want string
	}{
		{drv1.NamespaceMappingSpec{Schedule: "61 * * * *"}, "spec.schedule"},
		{drv1.NamespaceMappingSpec{Schedule: "@sometimes"}, "spec.schedule"},
		{drv1.NamespaceMappingSpec{Schedule: "@every -5m"}, "more often than once a minute"},
		{drv1.NamespaceMappingSpec{Schedule: "@every 30s"}, "more often than once a minute"},
		{drv1.NamespaceMappingSpec{Schedule: "@every 59.9s"}, "more often than once a minute"},
		{drv1.NamespaceMappingSpec{TimeZone: "Mars/Olympus"}, "spec.timeZone"},
	} {
		_, err := computeTiming(&c.spec, nil, time.Now())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one naming %s", c.spec, err, c.want)
		}
	}
}
