/* linux.netDevices over rtnetlink.

   One RTM_NEWLINK with IFLA_NET_NS_FD (and IFLA_IFNAME for a rename) moves
   a device; the kernel drops its addresses on the way, so the permanent
   global ones are read before and added back in the container's namespace,
   then the device is set up, as the spec asks.  Requests to the container's
   namespace go through a netlink socket made there (a socket stays in the
   namespace it was made in).

   The runtime never moves a device out of a container that was created:
   when its namespace goes away the kernel returns physical devices to the
   initial namespace and destroys virtual ones.  A create that fails does
   move them back, and holds the namespace open until then so that a dead
   container process cannot take them with it.  */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "namespaces.h"
#include "netdev.h"
#include "utils.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef IFA_PROTO
#define IFA_PROTO 11
#endif

/* Address flags a new address may be given; the rest is the kernel's.  */
#define ADDR_SETTABLE_FLAGS                                                                             \
  (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN | IFA_F_MANAGETEMPADDR)

struct saved_addr
{
  struct ifaddrmsg ifa;
  size_t len;
  char attrs[192]; /* the attributes to send again, already framed */
};

struct netdev
{
  char *host_name;
  char *name; /* in the container; may be a template */
  int host_index;
  unsigned host_flags; /* IFF_UP before the move */
  int index;           /* in the container's namespace, once moved */
  bool moved;
  struct saved_addr *addrs;
  size_t naddrs;
};

struct ocirt_netdevs
{
  struct netdev *v;
  size_t n;
  int host_ns; /* the runtime's network namespace */
  int host_nl; /* rtnetlink there */
  int ns;      /* the container's */
  int nl;      /* rtnetlink there */
};

/* ---- names ---------------------------------------------------------- */

const char *
ocirt_netdev_name_problem (const char *name, bool template)
{
  const char *p, *pct;

  if (name == NULL || name[0] == '\0')
    return "is empty";
  if (strlen (name) >= IFNAMSIZ)
    return "is longer than 15 bytes";
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return "is not a valid interface name";
  for (p = name; *p; p++)
    {
      if (*p == '/')
        return "contains `/`";
      if (*p == ':')
        return "contains `:`";
      if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        return "contains white space";
    }
  pct = strchr (name, '%');
  if (pct && !template)
    return "contains `%`";
  if (pct && (pct[1] != 'd' || strchr (pct + 2, '%')))
    return "has a `%` that is not one `%d`";
  return NULL;
}

static const char *
container_name (const oci_map_net_device *m, size_t i)
{
  const oci_net_device *v = m->values[i];

  return v && v->name && v->name[0] ? v->name : m->keys[i];
}

int
ocirt_netdev_validate (const oci_spec *spec, ocirt_error_t *err)
{
  const oci_map_net_device *m = spec->linux ? spec->linux->net_devices : NULL;
  size_t i, j;

  if (m == NULL || m->len == 0)
    return 0;
  if (!ocirt_ns_in_config (spec, "network"))
    return ocirt_error_make (
        err, 0, "config.json: linux.netDevices needs a network namespace for the container");
  for (i = 0; i < m->len; i++)
    {
      const oci_net_device *v = m->values[i];
      const char *why = ocirt_netdev_name_problem (m->keys[i], false);

      if (why)
        return ocirt_error_make (err, 0, "config.json: linux.netDevices: device name `%s` %s",
                                 m->keys[i], why);
      if (v && v->name && v->name[0] && (why = ocirt_netdev_name_problem (v->name, true)))
        return ocirt_error_make (err, 0, "config.json: linux.netDevices.%s.name: `%s` %s", m->keys[i],
                                 v->name, why);
      for (j = 0; j < i; j++)
        {
          if (strcmp (m->keys[i], m->keys[j]) == 0)
            return ocirt_error_make (err, 0, "config.json: linux.netDevices: `%s` is listed twice",
                                     m->keys[i]);
          if (strchr (container_name (m, i), '%') == NULL
              && strcmp (container_name (m, i), container_name (m, j)) == 0)
            return ocirt_error_make (
                err, 0,
                "config.json: linux.netDevices: `%s` and `%s` would both be `%s` in the container",
                m->keys[j], m->keys[i], container_name (m, i));
        }
    }
  return 0;
}

/* ---- rtnetlink ------------------------------------------------------ */

#define NL_REPLY_SIZE 65536

union nl_req
{
  struct nlmsghdr h;
  char buf[1024];
};

static uint32_t nl_seq;

static void
nl_init (union nl_req *r, uint16_t type, uint16_t flags, const void *body, size_t len)
{
  memset (r, 0, sizeof (*r));
  r->h.nlmsg_len = NLMSG_LENGTH (len);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | flags;
  r->h.nlmsg_seq = ++nl_seq;
  memcpy (NLMSG_DATA (&r->h), body, len);
}

static void
nl_put (union nl_req *r, unsigned short type, const void *data, size_t len)
{
  size_t off = NLMSG_ALIGN (r->h.nlmsg_len);
  struct rtattr *rta = (struct rtattr *) (r->buf + off);

  /* The requests here are small and of known size.  */
  if (off + RTA_SPACE (len) > sizeof (r->buf))
    abort ();
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH (len);
  memcpy (RTA_DATA (rta), data, len);
  r->h.nlmsg_len = off + RTA_SPACE (len);
}

static void
nl_put_u32 (union nl_req *r, unsigned short type, uint32_t v)
{
  nl_put (r, type, &v, sizeof (v));
}

static void
nl_put_str (union nl_req *r, unsigned short type, const char *s)
{
  nl_put (r, type, s, strlen (s) + 1);
}

/* An rtnetlink socket; WHERE ends the error message.  */
static int
nl_socket (const char *where, ocirt_error_t *err)
{
  int one = 1;
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

  if (fd < 0)
    return ocirt_error_make (err, errno, "open an rtnetlink socket%s", where);
  /* The kernel's own words on a refusal, without our request echoed.  */
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof (one));
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof (one));
  return fd;
}

/* The extended ack text of an error message, or "".  */
static void
nl_ext_ack (const struct nlmsghdr *h, char *msg, size_t cap)
{
  const struct nlmsgerr *e = NLMSG_DATA (h);
  size_t off = sizeof (*e), len;
  const struct rtattr *rta;

  msg[0] = '\0';
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
    return;
  if (!(h->nlmsg_flags & NLM_F_CAPPED))
    off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  off = NLMSG_ALIGN (off);
  if (h->nlmsg_len < NLMSG_HDRLEN + off)
    return;
  len = h->nlmsg_len - NLMSG_HDRLEN - off;
  for (rta = (const struct rtattr *) ((const char *) e + off); RTA_OK (rta, len);
       rta = RTA_NEXT (rta, len))
    if (rta->rta_type == NLMSGERR_ATTR_MSG && RTA_PAYLOAD (rta) > 1)
      {
        snprintf (msg, cap, "%.*s", (int) RTA_PAYLOAD (rta) - 1, (const char *) RTA_DATA (rta));
        return;
      }
}

/* The error E of a request, after the kernel's explanation KMSG if it
   gave one; the caller prefixes what it asked.  The status is E either
   way, for the caller to test.  */
static int
nl_error (ocirt_error_t *err, int e, const char *kmsg)
{
  if (kmsg && kmsg[0])
    return ocirt_error_make (err, e, "%s", kmsg);
  ocirt_error_make (err, 0, "%s", strerror (e));
  if (err && *err)
    (*err)->status = e;
  return -1;
}

/* Read the answers to the request SEQ until its acknowledgement or the end
   of a dump, handing every other message to ON_MSG.  */
static int
nl_receive (int fd, uint32_t seq, void (*on_msg) (const struct nlmsghdr *, void *), void *data,
            ocirt_error_t *err)
{
  cleanup_free char *buf = xmalloc0 (NL_REPLY_SIZE);

  for (;;)
    {
      ssize_t n = recv (fd, buf, NL_REPLY_SIZE, MSG_TRUNC);
      struct nlmsghdr *h;
      size_t left;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return nl_error (err, errno, NULL);
      if (n > NL_REPLY_SIZE)
        return nl_error (err, EMSGSIZE, NULL);
      left = (size_t) n;
      for (h = (struct nlmsghdr *) buf; NLMSG_OK (h, left); h = NLMSG_NEXT (h, left))
        {
          if (h->nlmsg_seq != seq)
            continue;
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *e = NLMSG_DATA (h);
              char msg[256];

              if (h->nlmsg_len < NLMSG_LENGTH (sizeof (*e)))
                return nl_error (err, EBADMSG, NULL);
              if (e->error == 0)
                return 0;
              nl_ext_ack (h, msg, sizeof (msg));
              return nl_error (err, -e->error, msg);
            }
          if (on_msg)
            on_msg (h, data);
        }
    }
}

struct nl_reply
{
  struct nlmsghdr *h;
  uint16_t type;
  bool got;
};

static void
keep_reply (const struct nlmsghdr *h, void *data)
{
  struct nl_reply *r = data;

  if (!r->got && h->nlmsg_type == r->type && h->nlmsg_len <= NL_REPLY_SIZE)
    {
      memcpy (r->h, h, h->nlmsg_len);
      r->got = true;
    }
}

/* Send R and wait for its acknowledgement.  With REPLY (NL_REPLY_SIZE
   bytes), the first answer of type REPLY_TYPE is copied there.  */
static int
nl_talk (int fd, union nl_req *r, struct nlmsghdr *reply, uint16_t reply_type, ocirt_error_t *err)
{
  struct nl_reply keep = { .h = reply, .type = reply_type };

  r->h.nlmsg_flags |= NLM_F_ACK;
  if (send (fd, r, r->h.nlmsg_len, 0) < 0)
    return nl_error (err, errno, NULL);
  if (nl_receive (fd, r->h.nlmsg_seq, reply ? keep_reply : NULL, &keep, err) < 0)
    return -1;
  if (reply && !keep.got)
    return nl_error (err, EBADMSG, NULL);
  return 0;
}

/* A link by index (INDEX > 0) or by name: its index, flags and name.  The
   error's status is ENODEV when there is none.  */
static int
link_get (int fd, int index, const char *name, int *out_index, unsigned *flags, char out_name[IFNAMSIZ],
          ocirt_error_t *err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  cleanup_free struct nlmsghdr *reply = xmalloc0 (NL_REPLY_SIZE);
  const struct ifinfomsg *got;
  const struct rtattr *rta;
  union nl_req r;
  size_t len;

  nl_init (&r, RTM_GETLINK, 0, &ifi, sizeof (ifi));
  if (index <= 0)
    nl_put_str (&r, IFLA_IFNAME, name);
  nl_put_u32 (&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (nl_talk (fd, &r, reply, RTM_NEWLINK, err) < 0)
    return -1;
  got = NLMSG_DATA (reply);
  if (out_index)
    *out_index = got->ifi_index;
  if (flags)
    *flags = got->ifi_flags;
  if (out_name)
    {
      out_name[0] = '\0';
      len = IFLA_PAYLOAD (reply);
      for (rta = IFLA_RTA (got); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
        if (rta->rta_type == IFLA_IFNAME)
          snprintf (out_name, IFNAMSIZ, "%s", (const char *) RTA_DATA (rta));
    }
  return 0;
}

static int
link_set_up (int fd, int index, ocirt_error_t *err)
{
  struct ifinfomsg ifi = {
    .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP
  };
  union nl_req r;

  nl_init (&r, RTM_NEWLINK, 0, &ifi, sizeof (ifi));
  return nl_talk (fd, &r, NULL, 0, err);
}

/* Move link INDEX (of FD's namespace) into the namespace NSFD, named NAME
   there when NAME is not NULL, at NEW_INDEX when it is not 0.  */
static int
link_move (int fd, int index, int nsfd, const char *name, int new_index, ocirt_error_t *err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  union nl_req r;

  nl_init (&r, RTM_NEWLINK, 0, &ifi, sizeof (ifi));
  nl_put_u32 (&r, IFLA_NET_NS_FD, (uint32_t) nsfd);
  if (name)
    nl_put_str (&r, IFLA_IFNAME, name);
  if (new_index)
    nl_put_u32 (&r, IFLA_NEW_IFINDEX, (uint32_t) new_index);
  return nl_talk (fd, &r, NULL, 0, err);
}

static void
save_addr (struct netdev *dev, const struct nlmsghdr *h)
{
  const struct ifaddrmsg *ifa = NLMSG_DATA (h);
  size_t len = IFA_PAYLOAD (h);
  const struct rtattr *rta;
  uint32_t flags = ifa->ifa_flags;
  struct saved_addr a;

  for (rta = IFA_RTA (ifa); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD (rta) >= sizeof (uint32_t))
      memcpy (&flags, RTA_DATA (rta), sizeof (flags));
  /* The spec keeps permanent addresses of global scope, of any family.  */
  if (ifa->ifa_index != (unsigned) dev->host_index || !(flags & IFA_F_PERMANENT)
      || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return;

  memset (&a, 0, sizeof (a));
  a.ifa = *ifa;
  a.ifa.ifa_flags = (uint8_t) (flags & ADDR_SETTABLE_FLAGS);
  len = IFA_PAYLOAD (h);
  for (rta = IFA_RTA (ifa); RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    {
      struct rtattr *out = (struct rtattr *) (a.attrs + a.len);

      switch (rta->rta_type)
        {
        case IFA_ADDRESS:
        case IFA_LOCAL:
        case IFA_BROADCAST:
        case IFA_RT_PRIORITY:
        case IFA_PROTO:
          break;
        default:
          continue;
        }
      if (a.len + RTA_ALIGN (rta->rta_len) > sizeof (a.attrs))
        return;
      memcpy (out, rta, rta->rta_len);
      a.len += RTA_ALIGN (rta->rta_len);
    }
  if (flags & ~0xffu & ADDR_SETTABLE_FLAGS)
    {
      struct rtattr *out = (struct rtattr *) (a.attrs + a.len);
      uint32_t f = flags & ADDR_SETTABLE_FLAGS;

      out->rta_type = IFA_FLAGS;
      out->rta_len = RTA_LENGTH (sizeof (f));
      memcpy (RTA_DATA (out), &f, sizeof (f));
      a.len += RTA_SPACE (sizeof (f));
    }
  dev->addrs = realloc (dev->addrs, (dev->naddrs + 1) * sizeof (*dev->addrs));
  if (dev->addrs == NULL)
    abort ();
  dev->addrs[dev->naddrs++] = a;
}

static void
save_addr_msg (const struct nlmsghdr *h, void *data)
{
  if (h->nlmsg_type == RTM_NEWADDR)
    save_addr (data, h);
}

/* The addresses of DEV the move would lose.  */
static int
addrs_save (int fd, struct netdev *dev, ocirt_error_t *err)
{
  struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
  union nl_req r;

  dev->naddrs = 0;
  nl_init (&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof (ifa));
  if (send (fd, &r, r.h.nlmsg_len, 0) < 0)
    return nl_error (err, errno, NULL);
  return nl_receive (fd, r.h.nlmsg_seq, save_addr_msg, dev, err);
}

static void
addr_text (const struct saved_addr *a, char *out, size_t cap)
{
  size_t len = a->len;
  const struct rtattr *rta;
  char ip[INET6_ADDRSTRLEN] = "?";
  const struct rtattr *best = NULL;

  for (rta = (const struct rtattr *) a->attrs; RTA_OK (rta, len); rta = RTA_NEXT (rta, len))
    if (rta->rta_type == IFA_LOCAL || (rta->rta_type == IFA_ADDRESS && best == NULL))
      best = rta;
  if (best)
    inet_ntop (a->ifa.ifa_family, RTA_DATA (best), ip, sizeof (ip));
  snprintf (out, cap, "%s/%u", ip, a->ifa.ifa_prefixlen);
}

static int
addr_add (int fd, int index, const struct saved_addr *a, ocirt_error_t *err)
{
  struct ifaddrmsg ifa = a->ifa;
  union nl_req r;

  ifa.ifa_index = (unsigned) index;
  nl_init (&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof (ifa));
  if (NLMSG_ALIGN (r.h.nlmsg_len) + a->len > sizeof (r.buf))
    return nl_error (err, EMSGSIZE, NULL);
  memcpy (r.buf + NLMSG_ALIGN (r.h.nlmsg_len), a->attrs, a->len);
  r.h.nlmsg_len = NLMSG_ALIGN (r.h.nlmsg_len) + a->len;
  return nl_talk (fd, &r, NULL, 0, err);
}

/* Addresses back and the device up, in the namespace of FD.  */
static int
restore (int fd, struct netdev *dev, int index, bool up, const char *where, ocirt_error_t *err)
{
  char text[INET6_ADDRSTRLEN + 8];
  size_t i;

  for (i = 0; i < dev->naddrs; i++)
    if (addr_add (fd, index, &dev->addrs[i], err) < 0)
      {
        addr_text (&dev->addrs[i], text, sizeof (text));
        return ocirt_error_prefix (err, "linux.netDevices: add address %s to `%s` in %s", text,
                                   dev->host_name, where);
      }
  if (up && link_set_up (fd, index, err) < 0)
    return ocirt_error_prefix (err, "linux.netDevices: set `%s` up in %s", dev->host_name, where);
  return 0;
}

/* ---- the runtime's side --------------------------------------------- */

static int
joined_netns_fd (const struct ocirt_ns_plan *plan)
{
  size_t i;

  for (i = 0; plan && i < plan->njoin; i++)
    if (plan->join[i].type == CLONE_NEWNET)
      return plan->join[i].fd;
  return -1;
}

static const char *
netns_path (const oci_linux *lx)
{
  size_t i;

  for (i = 0; i < lx->namespaces_len; i++)
    if (strcmp (lx->namespaces[i]->type, "network") == 0)
      return lx->namespaces[i]->path;
  return "";
}

void
ocirt_netdev_free (struct ocirt_netdevs *d)
{
  size_t i;

  if (d == NULL)
    return;
  for (i = 0; i < d->n; i++)
    {
      free (d->v[i].host_name);
      free (d->v[i].name);
      free (d->v[i].addrs);
    }
  free (d->v);
  if (d->host_ns >= 0)
    close (d->host_ns);
  if (d->host_nl >= 0)
    close (d->host_nl);
  if (d->ns >= 0)
    close (d->ns);
  if (d->nl >= 0)
    close (d->nl);
  free (d);
}

/* The runtime's network namespace and the one the config names by PATH,
   joined as JOINED, are two.  */
static int
check_other_netns (int host_ns, int joined, const char *path, ocirt_error_t *err)
{
  struct stat a, b;

  if (fstat (joined, &a) < 0 || fstat (host_ns, &b) < 0)
    return ocirt_error_make (err, errno, "stat the network namespace `%s`", path);
  if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    return ocirt_error_make (err, 0,
                             "linux.netDevices: the network namespace `%s` is the runtime's own: "
                             "the devices cannot be moved into it",
                             path);
  return 0;
}

/* The device HOST_NAME of the runtime's namespace, for the container as
   NAME.  */
static int
netdev_look_up (int fd, struct netdev *dev, const char *host_name, const char *name, ocirt_error_t *err)
{
  dev->host_name = xstrdup (host_name);
  dev->name = xstrdup (name);
  if (link_get (fd, 0, dev->host_name, &dev->host_index, &dev->host_flags, NULL, err) < 0)
    {
      if ((*err)->status == ENODEV)
        return ocirt_error_make (
            err, 0,
            "linux.netDevices: network device `%s` does not exist in the runtime's network namespace",
            dev->host_name);
      return ocirt_error_prefix (err, "linux.netDevices: look up network device `%s`", dev->host_name);
    }
  if (dev->host_flags & IFF_LOOPBACK)
    return ocirt_error_make (
        err, 0, "linux.netDevices: `%s` is a loopback device, which cannot leave its network namespace",
        dev->host_name);
  return 0;
}

int
ocirt_netdev_prepare (const oci_linux *lx, const struct ocirt_ns_plan *plan, struct ocirt_netdevs **out,
                      ocirt_error_t *err)
{
  const oci_map_net_device *m = lx ? lx->net_devices : NULL;
  cleanup_netdevs struct ocirt_netdevs *d = NULL;
  int joined = joined_netns_fd (plan);
  size_t i;

  *out = NULL;
  if (m == NULL || m->len == 0)
    return 0;
  d = xmalloc0 (sizeof (*d));
  d->host_ns = d->host_nl = d->ns = d->nl = -1;
  d->v = xmalloc0 (m->len * sizeof (*d->v));
  d->host_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (d->host_ns < 0)
    return ocirt_error_make (err, errno, "open /proc/self/ns/net");
  if (joined >= 0 && check_other_netns (d->host_ns, joined, netns_path (lx), err) < 0)
    return -1;
  d->host_nl = nl_socket ("", err);
  if (d->host_nl < 0)
    return -1;
  for (i = 0; i < m->len; i++)
    if (netdev_look_up (d->host_nl, &d->v[d->n++], m->keys[i], container_name (m, i), err) < 0)
      return -1;
  *out = steal_pointer (&d);
  return 0;
}

/* A netlink socket in the namespace NSFD.  */
static int
nl_socket_in (int nsfd, int host_ns, ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  if (setns (nsfd, CLONE_NEWNET) < 0)
    return ocirt_error_make (err, errno, "join the container's network namespace");
  fd = nl_socket (" in the container's network namespace", err);
  /* Back first, whatever the socket's fate.  */
  if (setns (host_ns, CLONE_NEWNET) < 0)
    return ocirt_error_make (err, errno, "return to the runtime's network namespace");
  if (fd < 0)
    return -1;
  return steal_fd (&fd);
}

/* Whether a link named NAME is in the namespace of FD.  */
static int
link_exists (int fd, const char *name, bool *exists, ocirt_error_t *err)
{
  *exists = link_get (fd, 0, name, NULL, NULL, NULL, err) == 0;
  if (*exists)
    return 0;
  if ((*err)->status != ENODEV)
    return -1;
  ocirt_error_release (err);
  return 0;
}

static int
move_one (struct ocirt_netdevs *d, struct netdev *dev, ocirt_error_t *err)
{
  const char *where = "the container's network namespace";
  bool template = strchr (dev->name, '%') != NULL;
  bool rename = strcmp (dev->name, dev->host_name) != 0;
  char got[IFNAMSIZ];
  bool taken;

  /* The kernel moves, then renames: a name taken in the container would
     fail only once the device is there.  */
  if (!template)
    {
      if (link_exists (d->nl, dev->name, &taken, err) < 0)
        return ocirt_error_prefix (err, "linux.netDevices: look up `%s` in %s", dev->name, where);
      if (taken)
        return ocirt_error_make (err, 0, "linux.netDevices: move `%s`: a device named `%s` exists in %s",
                                 dev->host_name, dev->name, where);
    }
  if (addrs_save (d->host_nl, dev, err) < 0)
    return ocirt_error_prefix (err, "linux.netDevices: read the addresses of `%s`", dev->host_name);

  /* A template gets its number in the container only: the index is kept
     so that the device can be found there.  */
  if (link_move (d->host_nl, dev->host_index, d->ns, rename ? dev->name : NULL,
                 template ? dev->host_index : 0, err)
      < 0)
    {
      cleanup_error ocirt_error_t tmp = NULL;
      int idx;

      if (link_get (d->nl, 0, dev->host_name, &idx, NULL, NULL, &tmp) == 0)
        {
          dev->index = idx;
          dev->moved = true;
        }
      return ocirt_error_prefix (err, "linux.netDevices: move `%s` into %s%s%s", dev->host_name, where,
                                 rename ? " as " : "", rename ? dev->name : "");
    }
  dev->moved = true;
  dev->index = dev->host_index;
  if (link_get (d->nl, template ? dev->host_index : 0, dev->name, &dev->index, NULL, got, err) < 0)
    return ocirt_error_prefix (err, "linux.netDevices: find `%s` in %s", dev->name, where);
  ocirt_debug ("network device `%s` moved into the container as `%s` (index %d, %zu addresses)",
               dev->host_name, got, dev->index, dev->naddrs);
  return restore (d->nl, dev, dev->index, true, where, err);
}

int
ocirt_netdev_move (struct ocirt_netdevs *d, pid_t pid, const struct ocirt_ns_plan *plan,
                   ocirt_error_t *err)
{
  int joined = joined_netns_fd (plan);
  size_t i;

  if (d == NULL || d->ns >= 0)
    return 0;
  if (joined >= 0)
    d->ns = fcntl (joined, F_DUPFD_CLOEXEC, 0);
  else
    {
      char path[64];

      snprintf (path, sizeof (path), "/proc/%d/ns/net", pid);
      d->ns = open (path, O_RDONLY | O_CLOEXEC);
    }
  if (d->ns < 0)
    return ocirt_error_make (err, errno, "open the container's network namespace");
  d->nl = nl_socket_in (d->ns, d->host_ns, err);
  if (d->nl < 0)
    return -1;
  for (i = 0; i < d->n; i++)
    if (move_one (d, &d->v[i], err) < 0)
      return -1;
  return 0;
}

/* Move DEV back to the runtime's namespace, with its name, addresses and
   state.  */
static int
move_back (struct ocirt_netdevs *d, struct netdev *dev, ocirt_error_t *err)
{
  const char *where = "the runtime's network namespace";
  int idx;

  if (link_move (d->nl, dev->index, d->host_ns, dev->host_name, 0, err) < 0)
    return ocirt_error_prefix (err, "linux.netDevices: move `%s` back to %s", dev->host_name, where);
  if (link_get (d->host_nl, 0, dev->host_name, &idx, NULL, NULL, err) < 0)
    return ocirt_error_prefix (err, "linux.netDevices: find `%s` back in %s", dev->host_name, where);
  return restore (d->host_nl, dev, idx, (dev->host_flags & IFF_UP) != 0, where, err);
}

void
ocirt_netdev_undo (struct ocirt_netdevs *d)
{
  size_t i;

  if (d == NULL || d->nl < 0)
    return;
  for (i = d->n; i-- > 0;)
    {
      struct netdev *dev = &d->v[i];
      cleanup_error ocirt_error_t err = NULL;

      if (!dev->moved)
        continue;
      dev->moved = false;
      if (move_back (d, dev, &err) < 0)
        ocirt_log_warn_release (&err);
    }
}

int
ocirt_netdev_loopback_up (ocirt_error_t *err)
{
  struct ifreq ifr = { 0 };
  cleanup_close int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return ocirt_error_make (err, errno, "socket to set `lo` up");
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return ocirt_error_make (err, errno, "read the flags of `lo`");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return ocirt_error_make (err, errno, "set `lo` up");
  return 0;
}
