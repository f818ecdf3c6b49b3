/* placeholder */
#ifndef JXTA_PIPE_DOC_H
#define JXTA_PIPE_DOC_H
#endif
