package org.vnvdimm.dom0.fs;

/** The filesystem types that could carry DAX in 2016-2018. */
public enum FsType {
    XFS("xfs"), EXT4("ext4");

    private final String name;

    FsType(String name) { this.name = name; }

    public String fsName() { return name; }
}
