package retry

import "slices"

// Number is one of a member's phone numbers as the retry decision sees it.
type Number struct {
	// ID identifies the number (the communication's row id).
	ID int64
	// Type is the number's type, e.g. "mobile", ranked by Policy.TypeOrder.
	Type string
	// Position is the number's place in the member's list.
	Position int
	// Stopped is set when the number must not be called again (result API).
	Stopped bool
	// Blocked is set when the number is on the blocklist.
	Blocked bool
}

func (n Number) usable() bool { return !n.Stopped && !n.Blocked }

// numberKey is a number's place in the campaign's order. The ID and then the
// slice index break ties so the order is total and every number is reached.
type numberKey struct {
	rank     int
	position int
	id       int64
	index    int
}

func (a numberKey) less(b numberKey) bool {
	switch {
	case a.rank != b.rank:
		return a.rank < b.rank
	case a.position != b.position:
		return a.position < b.position
	case a.id != b.id:
		return a.id < b.id
	}
	return a.index < b.index
}

func (p Policy) key(numbers []Number, i int) numberKey {
	k := numberKey{position: numbers[i].Position, id: numbers[i].ID, index: i}
	if p.NumberOrder == ByType {
		k.rank = slices.Index(p.TypeOrder, numbers[i].Type)
		if k.rank < 0 {
			k.rank = len(p.TypeOrder)
		}
	}
	return k
}

// FirstNumber returns the member's first usable (neither stopped nor
// blocked) number in the campaign's order, or false if none is usable.
func FirstNumber(p Policy, numbers []Number) (Number, bool) {
	best := -1
	var bestKey numberKey
	for i, n := range numbers {
		if !n.usable() {
			continue
		}
		if k := p.key(numbers, i); best < 0 || k.less(bestKey) {
			best, bestKey = i, k
		}
	}
	if best < 0 {
		return Number{}, false
	}
	return numbers[best], true
}

// NextNumber returns the usable number that follows currentID in the
// campaign's order, wrapping around to the first, so a member's numbers take
// turns. It returns the current number itself when that is the only usable
// one, the first usable number when currentID is not among numbers, and
// false when no number is usable.
func NextNumber(p Policy, numbers []Number, currentID int64) (Number, bool) {
	cur := slices.IndexFunc(numbers, func(n Number) bool { return n.ID == currentID })
	if cur < 0 {
		return FirstNumber(p, numbers)
	}
	curKey := p.key(numbers, cur)
	next, first := -1, -1
	var nextKey, firstKey numberKey
	for i, n := range numbers {
		if i == cur || !n.usable() {
			continue
		}
		k := p.key(numbers, i)
		if curKey.less(k) && (next < 0 || k.less(nextKey)) {
			next, nextKey = i, k
		}
		if first < 0 || k.less(firstKey) {
			first, firstKey = i, k
		}
	}
	switch {
	case next >= 0:
		return numbers[next], true
	case first >= 0:
		return numbers[first], true
	case numbers[cur].usable():
		return numbers[cur], true
	}
	return Number{}, false
}
