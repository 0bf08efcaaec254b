#include <string.h>

#include "units.h"
#include "utils.h"

bool
ocirt_units_parse_duration (const char *s, uint64_t *ns)
{
  static const struct
  {
    const char *name;
    double factor;
  } units[] = {
    { "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
    { "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },        { "h", 3600e9 },
  };
  double total = 0;
  const char *p = s;

  if (s == NULL || *s == '\0')
    return false;
  if (*p == '+')
    p++;
  if (strcmp (p, "0") == 0)
    {
      *ns = 0;
      return true;
    }
  if (*p == '\0')
    return false;
  while (*p)
    {
      double v = 0, scale = 1;
      bool digits = false;
      size_t i, best = ARRAY_SIZE (units), bl = 0;

      for (; *p >= '0' && *p <= '9'; p++, digits = true)
        v = v * 10 + (*p - '0');
      if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
          v += (*p - '0') * (scale /= 10);
      if (!digits)
        return false;
      /* The longest unit that matches: "ms" before "m".  */
      for (i = 0; i < ARRAY_SIZE (units); i++)
        {
          size_t l = strlen (units[i].name);

          if (strncmp (p, units[i].name, l) == 0 && l > bl)
            {
              best = i;
              bl = l;
            }
        }
      if (best == ARRAY_SIZE (units))
        return false;
      total += v * units[best].factor;
      p += bl;
    }
  if (total > 9.2e18)
    return false;
  *ns = (uint64_t) (total + 0.5);
  return true;
}

bool
ocirt_units_parse_ram_bytes (const char *s, int64_t *out)
{
  double v = 0, scale = 1, mult = 1;
  const char *p = s;
  bool digits = false;

  if (s == NULL)
    return false;
  for (; *p >= '0' && *p <= '9'; p++, digits = true)
    v = v * 10 + (*p - '0');
  if (*p == '.')
    {
      bool frac = false;

      for (p++; *p >= '0' && *p <= '9'; p++, frac = true)
        v += (*p - '0') * (scale /= 10);
      if (!frac)
        return false;
    }
  if (!digits)
    return false;
  if (*p == ' ')
    p++;
  switch (*p)
    {
    case 'k':
    case 'K':
      mult = 1024.0;
      p++;
      break;
    case 'm':
    case 'M':
      mult = 1024.0 * 1024;
      p++;
      break;
    case 'g':
    case 'G':
      mult = 1024.0 * 1024 * 1024;
      p++;
      break;
    case 't':
    case 'T':
      mult = 1024.0 * 1024 * 1024 * 1024;
      p++;
      break;
    case 'p':
    case 'P':
      mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
      p++;
      break;
    default:
      break;
    }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0' || v * mult >= 9.2e18)
    return false;
  *out = (int64_t) (v * mult);
  return true;
}
