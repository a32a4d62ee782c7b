package io.acrcredential.examples.node;

import java.time.Instant;

/**
 * Reads the instants this program writes into its cache entries ({@link Instant#toString()}: {@code
 * 2026-12-05T01:35:58Z}, optionally with a fraction of a second) without starting {@code
 * java.time}'s formatters, which cost a warm helper call more than its file reads. Anything else is
 * left to {@link Instant#parse}, which also gives the error for what neither reads.
 */
final class UtcInstants {

  private UtcInstants() {}

  /**
   * The instant of an ISO-8601 UTC timestamp.
   *
   * @throws java.time.format.DateTimeParseException when the text is no such timestamp
   */
  static Instant parse(String text) {
    int n = text.length();
    if (n >= 20
        && n <= 30
        && text.charAt(4) == '-'
        && text.charAt(7) == '-'
        && text.charAt(10) == 'T'
        && text.charAt(13) == ':'
        && text.charAt(16) == ':'
        && text.charAt(n - 1) == 'Z') {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      int nanos = 0;
      boolean ok = n == 20;
      if (n > 21 && text.charAt(19) == '.') {
        int fraction = digits(text, 20, n - 1);
        if (fraction >= 0) {
          nanos = fraction;
          for (int i = n - 1 - 20; i < 9; i++) {
            nanos *= 10;
          }
          ok = true;
        }
      }
      if (ok
          && year >= 1970
          && month >= 1
          && month <= 12
          && day >= 1
          && day <= daysIn(year, month)
          && hour >= 0
          && hour <= 23
          && minute >= 0
          && minute <= 59
          && second >= 0
          && second <= 59) {
        long seconds = epochDay(year, month, day) * 86_400L + hour * 3_600L + minute * 60L + second;
        return Instant.ofEpochSecond(seconds, nanos);
      }
    }
    return Instant.parse(text);
  }

  /** The number in text[from, to), all ASCII digits, or -1. */
  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean leap(int year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  }

  private static int daysIn(int year, int month) {
    return switch (month) {
      case 2 -> leap(year) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** Days since 1970-01-01 of a date in the proleptic Gregorian calendar (year >= 1970). */
  static long epochDay(int year, int month, int day) {
    // count years from March, so that the leap day is the last day of a "year"
    int y = month <= 2 ? year - 1 : year;
    int era = y / 400;
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097L + dayOfEra - 719_468L;
  }
}
