/* DHCPv4 wire format (RFC 2131/2132): parse a BOOTP/DHCP datagram into a
 * message with an option index, and build replies. Pure functions, no I/O;
 * every byte of network input is bounds-checked here and nowhere else. */
#ifndef RACKBOOT_DHCP_PROTO_H
#define RACKBOOT_DHCP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define PXE_BINL_PORT    4011

#define DHCP_FIXED_LEN   236            /* op .. file, before the magic cookie */
#define DHCP_MIN_LEN     (DHCP_FIXED_LEN + 4)
#define DHCP_MAGIC       0x63825363u
#define DHCP_MAX_MSG     1500           /* buffer size for a message we build */
#define DHCP_MAX_REPLY   1472           /* largest reply: 1500-byte MTU - IP/UDP headers */
#define DHCP_FLAG_BROADCAST 0x8000

enum dhcp_op { BOOTREQUEST = 1, BOOTREPLY = 2 };

enum dhcp_msg_type {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK,
	DHCPRELEASE, DHCPINFORM,
};

enum dhcp_opt {
	DHO_PAD = 0, DHO_SUBNET_MASK = 1, DHO_ROUTERS = 3, DHO_DNS = 6, DHO_HOSTNAME = 12,
	DHO_DOMAIN_NAME = 15, DHO_MTU = 26, DHO_BROADCAST = 28, DHO_VENDOR = 43,
	DHO_REQUESTED_IP = 50, DHO_LEASE_TIME = 51, DHO_OVERLOAD = 52, DHO_MSG_TYPE = 53,
	DHO_SERVER_ID = 54, DHO_PARAM_LIST = 55, DHO_MESSAGE = 56, DHO_MAX_SIZE = 57,
	DHO_RENEWAL_TIME = 58, DHO_REBINDING_TIME = 59, DHO_VENDOR_CLASS = 60,
	DHO_CLIENT_ID = 61, DHO_TFTP_SERVER = 66, DHO_BOOTFILE = 67, DHO_USER_CLASS = 77,
	DHO_RELAY_AGENT = 82, DHO_CLIENT_ARCH = 93, DHO_CLIENT_NDI = 94, DHO_UUID = 97,
	DHO_IPXE_ENCAP = 175, DHO_END = 255,
};

/* A parsed request. Pointers point into the caller's datagram buffer, which
 * must outlive the message. Options that appear more than once (or in the
 * file/sname fields under option overload) are concatenated per RFC 3396
 * into `concat`, so opt[code].data is always one contiguous run. */
struct dhcp_opt_ref {
	const uint8_t *data;
	uint16_t len;
	bool present;
};

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;                 /* host order */
	uint16_t secs, flags;         /* host order */
	uint32_t ciaddr, yiaddr, siaddr, giaddr;   /* network order */
	uint8_t chaddr[16];
	const uint8_t *sname;         /* 64 bytes, points into the datagram */
	const uint8_t *file;          /* 128 bytes */
	uint8_t msg_type;             /* option 53, 0 if absent (BOOTP) */
	struct dhcp_opt_ref opt[256];
	uint8_t concat[1024];         /* storage for concatenated options */
	size_t concat_used;
};

enum dhcp_parse_err {
	DHCP_OK = 0,
	DHCP_E_SHORT,        /* shorter than the fixed header + cookie */
	DHCP_E_OP,           /* op is not BOOTREQUEST */
	DHCP_E_HLEN,         /* htype 1 (Ethernet) with hlen != 6, or hlen > 16 */
	DHCP_E_COOKIE,       /* magic cookie missing */
	DHCP_E_OPTLEN,       /* an option's length runs past the end of its area */
	DHCP_E_NO_END,       /* an option area without END (bytes after END are ignored) */
	DHCP_E_OVERLOAD,     /* bad option 52 value, or overload inside file/sname */
	DHCP_E_MSGTYPE,      /* option 53 of wrong length or unknown value */
	DHCP_E_TOOBIG,       /* concatenated options exceed the storage */
};

/* Parse a BOOTREQUEST. Returns DHCP_OK or the reason it was rejected.
 * `buf` needs no alignment; nothing at or past buf[len] is read. *m is fully
 * reinitialised. On error only the fixed header fields are meaningful (and
 * only when the error is not DHCP_E_SHORT), for logging; opt[] is not.
 * The sname/file pointers are set even when option 52 says those fields
 * hold options. */
enum dhcp_parse_err dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m);
const char *dhcp_parse_strerror(enum dhcp_parse_err e);
const char *dhcp_msg_type_name(uint8_t t);

/* Typed option accessors; return false when absent or of the wrong size. */
bool dhcp_opt_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *v);
bool dhcp_opt_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *v);   /* host order */
bool dhcp_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *v);   /* host order */
bool dhcp_opt_ip(const struct dhcp_msg *m, uint8_t code, uint32_t *ip);   /* network order */
/* True when option `code` is present and its data starts with `prefix`. */
bool dhcp_opt_prefix(const struct dhcp_msg *m, uint8_t code, const char *prefix);
/* RFC 3004 user class (77): true when one of its class entries equals `s`
 * (also accepts the non-RFC single-string form iPXE and others send). */
bool dhcp_user_class_has(const struct dhcp_msg *m, const char *s);
/* "aa:bb:cc:dd:ee:ff" of chaddr (hlen bytes), into buf (at least 3*16 bytes). */
void dhcp_format_hw(const struct dhcp_msg *m, char *buf, size_t len);

/* Building a reply into a caller buffer of DHCP_MAX_MSG bytes. */
struct dhcp_builder {
	uint8_t *buf;
	size_t cap, len;     /* len: bytes used, including the option area so far */
	bool overflow;       /* an option did not fit: the caller must not send */
};

/* The size a reply to `req` may have, for dhcp_reply_init's `cap`: the
 * client's option 57 (maximum DHCP message size, which counts the 20+8 bytes
 * of IP and UDP headers) minus 28, limited to DHCP_MAX_MSG; at least 548
 * (576 - 28), which is also the answer when option 57 is absent or not
 * 2 bytes long. */
size_t dhcp_reply_cap(const struct dhcp_msg *req);

/* Start a BOOTREPLY to request `req`: zeroes buf[0, cap), copies xid, flags,
 * giaddr, chaddr, htype/hlen, writes the cookie and option 53 (none when
 * msg_type is 0: a BOOTP reply). `cap` bounds the message; it is clamped to
 * [548, DHCP_MAX_MSG] (see dhcp_reply_cap), so `buf` must hold the clamped
 * value: DHCP_MAX_MSG bytes always do. */
void dhcp_reply_init(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		     const struct dhcp_msg *req, uint8_t msg_type);
/* Header fields of the reply (network order addresses). */
void dhcp_reply_set_addrs(struct dhcp_builder *b, uint32_t yiaddr, uint32_t siaddr);
void dhcp_reply_set_ciaddr(struct dhcp_builder *b, uint32_t ciaddr);
/* The fixed sname/file fields; a string longer than the field is an error
 * (returns false) because truncating a boot file name boots the wrong thing. */
bool dhcp_reply_set_sname(struct dhcp_builder *b, const char *s);
bool dhcp_reply_set_file(struct dhcp_builder *b, const char *s);
/* Append option `code` (not PAD or END: those set overflow). Data longer
 * than 255 bytes is split into several instances (RFC 3396). An option that
 * does not fit, with room kept for END, is not written and sets overflow. */
void dhcp_put(struct dhcp_builder *b, uint8_t code, const void *data, size_t len);
void dhcp_put_u8(struct dhcp_builder *b, uint8_t code, uint8_t v);
void dhcp_put_u16(struct dhcp_builder *b, uint8_t code, uint16_t v);     /* host order */
void dhcp_put_u32(struct dhcp_builder *b, uint8_t code, uint32_t v);     /* host order */
void dhcp_put_ip(struct dhcp_builder *b, uint8_t code, uint32_t ip);     /* network order */
void dhcp_put_str(struct dhcp_builder *b, uint8_t code, const char *s);
/* Terminate with END and pad to the BOOTP minimum of 300 bytes.
 * Returns the datagram length, or 0 on overflow. */
size_t dhcp_reply_finish(struct dhcp_builder *b);

#endif
