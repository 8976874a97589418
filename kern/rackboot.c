// SPDX-License-Identifier: GPL-2.0
/*
 * rackboot.ko: kfuncs that let rackboot's eBPF fast path (bpf/) serve any
 * file from the page cache, and send a whole TFTP window from XDP.
 *
 *  - /dev/rackboot (misc device, mode 0600): RB_IOC_REGISTER takes an open
 *    file descriptor, keeps a reference to its struct file and returns an
 *    id; RB_IOC_UNREGISTER drops it; closing the /dev/rackboot descriptor
 *    drops every file it registered. Registering needs CAP_NET_ADMIN or
 *    CAP_BPF (holding the device open is not enough).
 *  - bpf_rb_skb_read / bpf_rb_xdp_read (sched_cls / xdp): copy bytes of a
 *    registered file from the page cache into the frame, bounded by the
 *    file's current size, zero-padded; never sleep: a page that is not
 *    cached and up to date fails the read with -EAGAIN.
 *  - bpf_rb_xdp_emit (xdp): send a copy of the frame as it is now out of
 *    the device it arrived on (dev_queue_xmit), keep the original.
 *
 * Files are found by id under RCU (the BPF programs run inside an RCU
 * read-side section); a file leaves the id table under a mutex and its
 * reference is dropped after a grace period, so a program that found it
 * never reads a freed file. A loaded program that calls a kfunc holds a
 * reference to this module (the verifier takes it with the module's BTF),
 * so rmmod is refused until every such program is gone.
 *
 * See kern/README.md.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/etherdevice.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/if_vlan.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/checksum.h>
#include <net/xdp.h>

#include "rackboot_abi.h"

/* A registered file. */
struct rb_file {
	struct file *file;
	struct rb_client *owner;
	struct list_head node;       /* in owner->files */
	struct rcu_head rcu;
	u32 id;
};

/* One open /dev/rackboot. */
struct rb_client {
	struct list_head files;
	u32 nfiles;
};

/* id -> struct rb_file: written under rb_mu, read under RCU. */
static DEFINE_IDR(rb_files);
static DEFINE_MUTEX(rb_mu);

static void rb_file_free_rcu(struct rcu_head *h)
{
	struct rb_file *f = container_of(h, struct rb_file, rcu);

	fput(f->file);               /* from here, fput defers to a worker */
	kfree(f);
}

/* Off the table (rb_mu held); freed once no program can be using it. */
static void rb_file_drop(struct rb_file *f)
{
	idr_remove(&rb_files, f->id);
	list_del(&f->node);
	f->owner->nfiles--;
	call_rcu(&f->rcu, rb_file_free_rcu);
}

static long rb_register(struct rb_client *c, struct rb_kmod_file __user *arg)
{
	struct rb_kmod_file req;
	struct rb_file *f;
	struct inode *inode;
	long err;
	int id;

	if (!capable(CAP_NET_ADMIN) && !capable(CAP_BPF))
		return -EPERM;
	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->file = fget(req.fd);
	if (!f->file) {
		err = -EBADF;
		goto free;
	}
	inode = file_inode(f->file);
	err = -EINVAL;
	if (!S_ISREG(inode->i_mode) || !f->file->f_mapping || IS_DAX(inode))
		goto put;            /* only page-cache backed regular files */
	err = -EBADF;
	if (!(f->file->f_mode & FMODE_READ))
		goto put;

	mutex_lock(&rb_mu);
	if (c->nfiles >= RB_KMOD_FILES_MAX) {
		mutex_unlock(&rb_mu);
		err = -ENOSPC;
		goto put;
	}
	/* cyclic: an id just released is not handed out again at once */
	id = idr_alloc_cyclic(&rb_files, f, 1, INT_MAX, GFP_KERNEL);
	if (id < 0) {
		mutex_unlock(&rb_mu);
		err = id;
		goto put;
	}
	f->id = id;
	f->owner = c;
	list_add(&f->node, &c->files);
	c->nfiles++;
	mutex_unlock(&rb_mu);

	req.id = id;
	req.size = i_size_read(inode);
	if (copy_to_user(arg, &req, sizeof(req))) {
		mutex_lock(&rb_mu);
		rb_file_drop(f);
		mutex_unlock(&rb_mu);
		return -EFAULT;
	}
	return 0;
put:
	fput(f->file);
free:
	kfree(f);
	return err;
}

static long rb_unregister(struct rb_client *c, u32 __user *arg)
{
	struct rb_file *f;
	u32 id;
	long err = -ENOENT;

	if (get_user(id, arg))
		return -EFAULT;
	if (id == 0 || id > INT_MAX)
		return -ENOENT;
	mutex_lock(&rb_mu);
	f = idr_find(&rb_files, id);
	if (f && f->owner == c) {
		rb_file_drop(f);
		err = 0;
	}
	mutex_unlock(&rb_mu);
	return err;
}

static long rb_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct rb_client *c = filp->private_data;

	switch (cmd) {
	case RB_IOC_VERSION:
		return RB_KMOD_ABI_VERSION;
	case RB_IOC_REGISTER:
		return rb_register(c, (struct rb_kmod_file __user *)arg);
	case RB_IOC_UNREGISTER:
		return rb_unregister(c, (u32 __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int rb_open(struct inode *inode, struct file *filp)
{
	struct rb_client *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	INIT_LIST_HEAD(&c->files);
	filp->private_data = c;
	return 0;
}

static int rb_release(struct inode *inode, struct file *filp)
{
	struct rb_client *c = filp->private_data;
	struct rb_file *f, *n;

	mutex_lock(&rb_mu);
	list_for_each_entry_safe(f, n, &c->files, node)
		rb_file_drop(f);
	mutex_unlock(&rb_mu);
	kfree(c);
	return 0;
}

static const struct file_operations rb_fops = {
	.owner = THIS_MODULE,
	.open = rb_open,
	.release = rb_release,
	.unlocked_ioctl = rb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice rb_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "rackboot",
	.fops = &rb_fops,
	.mode = 0600,
};

/*
 * The read itself: rd->len bytes at dst from the file's page cache. Runs
 * in the BPF program's context (softirq, or a test run): no sleeping, no
 * allocation. Pages are looked up without creating, locking or waiting;
 * a missing or not up-to-date one ends the read with -EAGAIN. The size is
 * read once: a file truncated meanwhile gives bytes it held, or zeros the
 * truncation wrote, never anything else (the folio reference keeps the
 * page ours while it is copied).
 */
static int rb_read(struct rb_kmod_read *rd, u8 *dst)
{
	struct rb_file *f;
	struct address_space *mapping;
	loff_t size;
	u32 n, done = 0;
	int err = 0;

	rcu_read_lock();
	f = rd->id && rd->id <= INT_MAX ? idr_find(&rb_files, rd->id) : NULL;
	if (!f) {
		err = -ENOENT;
		goto out;
	}
	mapping = f->file->f_mapping;
	size = i_size_read(file_inode(f->file));
	rd->size = size;
	if (rd->file_off > (u64)size) {
		err = -ERANGE;
		goto out;
	}
	n = min_t(u64, rd->len, (u64)size - rd->file_off);
	while (done < n) {
		u64 pos = rd->file_off + done;
		u32 chunk = min_t(u32, n - done, PAGE_SIZE - offset_in_page(pos));
		struct folio *folio = filemap_get_folio(mapping, pos >> PAGE_SHIFT);
		void *src;

		if (!folio) {
			err = -EAGAIN;
			goto out;
		}
		if (!folio_test_uptodate(folio)) {
			folio_put(folio);
			err = -EAGAIN;
			goto out;
		}
		src = kmap_local_folio(folio, offset_in_folio(folio, pos));
		memcpy(dst + done, src, chunk);
		kunmap_local(src);
		folio_put(folio);
		done += chunk;
	}
	memset(dst + n, 0, rd->len - n);
	rd->copied = n;
	rd->csum = (__force u32)csum_partial(dst, rd->len, 0);
out:
	rcu_read_unlock();
	if (err)
		memset(dst, 0, rd->len);     /* nothing half-read stays in the frame */
	return err;
}

/* [off, off + len) of a frame whose linear data is `room` bytes long. */
static bool rb_pkt_range(const struct rb_kmod_read *rd, u32 room)
{
	return rd->len >= 1 && rd->len <= RB_KMOD_READ_MAX &&
	       (u64)rd->pkt_off + rd->len <= room;
}

static void rb_read_reset(struct rb_kmod_read *rd)
{
	rd->copied = 0;
	rd->csum = 0;
	rd->pad = 0;
	rd->size = 0;
}

/* The kfuncs: global, not inlined, so that they have BTF; their context
 * arguments are typed as the programs see them (the verifier matches the
 * names __sk_buff and xdp_md to the program's context), and are really
 * the kernel's sk_buff and xdp_buff. */
__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "kfuncs are called from BPF programs, not from C");

noinline int bpf_rb_skb_read(struct __sk_buff *ctx, struct rb_kmod_read *rd)
{
	struct sk_buff *skb = (struct sk_buff *)ctx;

	rb_read_reset(rd);
	if (rd->len < 1 || rd->len > RB_KMOD_READ_MAX)
		return -EINVAL;
	/* only linear data that is ours alone: a clone (bpf_clone_redirect's
	 * copy in flight) shares it, and making it private would move the
	 * data under the program's packet pointers */
	if (!rb_pkt_range(rd, skb_headlen(skb)) ||
	    (skb_cloned(skb) && !skb_clone_writable(skb, rd->pkt_off + rd->len)))
		return -EFAULT;
	return rb_read(rd, skb->data + rd->pkt_off);
}

noinline int bpf_rb_xdp_read(struct xdp_md *ctx, struct rb_kmod_read *rd)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;

	rb_read_reset(rd);
	if (rd->len < 1 || rd->len > RB_KMOD_READ_MAX)
		return -EINVAL;
	if (!rb_pkt_range(rd, xdp->data_end - xdp->data))
		return -EFAULT;
	return rb_read(rd, (u8 *)xdp->data + rd->pkt_off);
}

noinline int bpf_rb_xdp_emit(struct xdp_md *ctx)
{
	struct xdp_buff *xdp = (struct xdp_buff *)ctx;
	struct net_device *dev = xdp->rxq->dev;
	u32 len = xdp->data_end - xdp->data;
	struct sk_buff *skb;
	int rc;

	if (xdp_buff_has_frags(xdp))
		return -EOPNOTSUPP;
	if (len < ETH_HLEN || len > READ_ONCE(dev->mtu) + dev->hard_header_len + VLAN_HLEN)
		return -EMSGSIZE;
	if (!(dev->flags & IFF_UP))
		return -ENETDOWN;
	skb = netdev_alloc_skb(dev, len);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, xdp->data, len);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	skb->protocol = eth_hdr(skb)->h_proto;
	skb->dev = dev;
	rc = dev_queue_xmit(skb);
	return net_xmit_eval(rc) ? -ENOBUFS : 0;
}

__diag_pop();

BTF_SET8_START(rb_skb_kfunc_ids)
BTF_ID_FLAGS(func, bpf_rb_skb_read)
BTF_SET8_END(rb_skb_kfunc_ids)

BTF_SET8_START(rb_xdp_kfunc_ids)
BTF_ID_FLAGS(func, bpf_rb_xdp_read)
BTF_ID_FLAGS(func, bpf_rb_xdp_emit)
BTF_SET8_END(rb_xdp_kfunc_ids)

static const struct btf_kfunc_id_set rb_skb_kfuncs = {
	.owner = THIS_MODULE,
	.set = &rb_skb_kfunc_ids,
};

static const struct btf_kfunc_id_set rb_xdp_kfuncs = {
	.owner = THIS_MODULE,
	.set = &rb_xdp_kfunc_ids,
};

static int __init rb_init(void)
{
	int err;

	/* A module without BTF would register nothing and say only a
	 * warning: refuse to load instead. */
	if (!IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES) || !THIS_MODULE->btf_data_size) {
		pr_err("rackboot: built without module BTF: its kfuncs cannot be called\n");
		return -ENOEXEC;
	}
	err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS, &rb_skb_kfuncs);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &rb_xdp_kfuncs);
	if (err) {
		pr_err("rackboot: cannot register kfuncs: %d\n", err);
		return err;
	}
	err = misc_register(&rb_misc);
	if (err) {
		pr_err("rackboot: cannot register /dev/rackboot: %d\n", err);
		return err;
	}
	pr_info("rackboot: /dev/rackboot ready, kfuncs bpf_rb_skb_read, bpf_rb_xdp_read, bpf_rb_xdp_emit\n");
	return 0;
}

static void __exit rb_exit(void)
{
	misc_deregister(&rb_misc);
	/* every client is gone (each held the module); wait for their files'
	 * callbacks before the code they run goes away */
	rcu_barrier();
}

module_init(rb_init);
module_exit(rb_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("rackboot");
MODULE_DESCRIPTION("rackboot: page-cache file reads and XDP window sends for the BPF fast path");
MODULE_VERSION("1");
