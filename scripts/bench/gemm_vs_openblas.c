// GEMM micro-benchmark: Loupe's SGEMM (Sources/CKernels/gemm.c) against OpenBLAS's cblas_sgemm, one thread,
// operands in cache, on the shapes of ResNet-18's Winograd products at 64 px (forward A·B, input gradient
// Aᵀ·B, filter gradient A·Bᵀ) and two larger ones. Prints GFLOP/s of each and the largest difference.
//
//   clang -O2 -I Sources/CKernels/include -I /usr/include/x86_64-linux-gnu/openblas-pthread \
//     scripts/bench/gemm_vs_openblas.c Sources/CKernels/gemm.c Sources/CKernels/cpu.c -lopenblas -lm -o /tmp/gemm-bench
//   /tmp/gemm-bench; env -u OPENBLAS_CORETYPE /tmp/gemm-bench
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <cblas.h>
#include "CKernels.h"
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(void){
  openblas_set_num_threads(1);
  int shapes[][5]={ // ta tb m n k
    {0,0,64,2048,64},{1,0,64,2048,64},{0,1,64,64,2048},
    {0,0,128,512,128},{1,0,128,512,128},{0,1,128,128,512},
    {0,0,256,128,256},{1,0,256,128,256},{0,1,256,256,128},
    {0,0,512,32,512},{1,0,512,32,512},{0,1,512,512,32},
    {0,0,64,4096,576},{0,0,512,512,512}};
  int ns=sizeof shapes/sizeof shapes[0];
  for(int s=0;s<ns;s++){
    int ta=shapes[s][0],tb=shapes[s][1],m=shapes[s][2],n=shapes[s][3],k=shapes[s][4];
    float*a=malloc(4l*m*k),*b=malloc(4l*k*n),*c=malloc(4l*m*n),*d=malloc(4l*m*n);
    for(long i=0;i<(long)m*k;i++)a[i]=rand()/(float)RAND_MAX-0.5f;
    for(long i=0;i<(long)k*n;i++)b[i]=rand()/(float)RAND_MAX-0.5f;
    int lda=ta?m:k, ldb=tb?k:n;
    double fl=2.0*m*n*k; int reps=(int)(2e9/fl)+1;
    double best[2]={1e9,1e9};
    for(int round=0;round<3;round++){
      double t=now(); for(int r=0;r<reps;r++) cblas_sgemm(CblasRowMajor,ta?CblasTrans:CblasNoTrans,tb?CblasTrans:CblasNoTrans,m,n,k,1,a,lda,b,ldb,0,c,n);
      t=(now()-t)/reps; if(t<best[0])best[0]=t;
      t=now(); for(int r=0;r<reps;r++) loupe_sgemm(ta,tb,m,n,k,1,a,lda,b,ldb,0,d,n);
      t=(now()-t)/reps; if(t<best[1])best[1]=t;
    }
    double err=0,mx=0; for(long i=0;i<(long)m*n;i++){err=fmax(err,fabs(c[i]-d[i]));mx=fmax(mx,fabs(c[i]));}
    printf("ta%d tb%d %4d x %4d x %4d  openblas %6.1f GF  loupe %6.1f GF  ratio %.2f  maxdiff %.2g/%.2g\n",ta,tb,m,n,k,fl/best[0]/1e9,fl/best[1]/1e9,best[0]/best[1],err,mx);
    free(a);free(b);free(c);free(d);
  }
}
