package org.vnvdimm.contract;

/**
 * Role names by which components address each other. Only the wire maps a role to an actor.
 * Roles that run inside Dom0 (the kernel, xenstored, the toolstack and every QEMU) make hypercalls
 * as domain 0; guest-N is domain N.
 */
public final class Roles {
    private Roles() {}

    public static final String XEN = "xen";
    public static final String DOM0 = "dom0";
    public static final String XL = "xl";
    public static final String XENSTORED = "xenstored";
    public static final String PLATFORM = "platform";
    public static final String ADMIN = "admin";
    public static final String QEMU_PREFIX = "qemu-";
    public static final String GUEST_PREFIX = "guest-";

    public static String qemu(int domid) { return QEMU_PREFIX + domid; }
    public static String guest(int domid) { return GUEST_PREFIX + domid; }

    public static boolean isQemu(String role) { return role.startsWith(QEMU_PREFIX); }
    public static boolean isGuest(String role) { return role.startsWith(GUEST_PREFIX); }

    /** The domid a role's hypercalls come from, or -1 for roles that are not software in a domain. */
    public static int domainOf(String role) {
        if (role.equals(DOM0) || role.equals(XL) || role.equals(XENSTORED) || isQemu(role)) return 0;
        if (isGuest(role)) return suffix(role, GUEST_PREFIX);
        return -1;
    }

    /** The domid that qemu-N or guest-N serves. */
    public static int servedDomain(String role) {
        if (isQemu(role)) return suffix(role, QEMU_PREFIX);
        if (isGuest(role)) return suffix(role, GUEST_PREFIX);
        throw new IllegalArgumentException("role " + role + " serves no domain");
    }

    private static int suffix(String role, String prefix) {
        try {
            return Integer.parseInt(role.substring(prefix.length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed role " + role);
        }
    }
}
