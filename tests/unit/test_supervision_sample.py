"""The roll-call draw: reproducible from its seed, independent of the order ids arrive in."""
from datetime import date

import pytest

from aid.supervision.flags import months_before
from aid.supervision.service import draw_sample, population_digest


def test_same_seed_draws_the_same_sample():
    population = list(range(100, 400))
    assert draw_sample("3f2a", population, 12) == draw_sample("3f2a", population, 12)


def test_the_order_of_the_population_does_not_matter():
    population = list(range(1, 200))
    assert draw_sample("abc", population, 10) == draw_sample("abc", list(reversed(population)), 10)


def test_different_seeds_draw_different_samples():
    population = list(range(1, 1000))
    assert draw_sample("seed-1", population, 20) != draw_sample("seed-2", population, 20)


def test_sample_has_no_repeats_and_stays_in_the_population():
    population = list(range(1, 51))
    sample = draw_sample("x", population, 50)
    assert sorted(sample) == population


def test_sample_larger_than_population_is_refused_by_random():
    with pytest.raises(ValueError):
        draw_sample("x", [1, 2, 3], 4)


def test_population_digest_is_stable_and_order_sensitive():
    assert population_digest([1, 2, 3]) == population_digest([1, 2, 3])
    assert population_digest([1, 2, 3]) != population_digest([1, 3, 2])


def test_months_before_clamps_the_day():
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 11, 25), 24) == date(2024, 11, 25)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
