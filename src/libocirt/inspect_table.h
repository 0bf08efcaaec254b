/* The inspect document as a table for people.  */
#ifndef OCIRT_INSPECT_TABLE_H
#define OCIRT_INSPECT_TABLE_H

#include <stdio.h>

#include "oci_types.h"

void ocirt_inspect_table_print (const oci_inspect *doc, FILE *out);

#endif
